#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written from the start, straight through `write(2)`; ``close()`` fsyncs it, so a
/// file an archive names is on disk before its manifest is.
package final class OutputFile {
    package let path: String
    private var descriptor: Int32

    package init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ArchiveError.io("cannot create \(path)", errno) }
    }

    deinit { if descriptor >= 0 { _ = Glibc.close(descriptor) } }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.io("cannot write \(path)", errno)
            }
            offset += written
        }
    }

    package func close() throws {
        guard descriptor >= 0 else { return }
        defer { descriptor = -1 }
        guard fsync(descriptor) == 0 else { throw ArchiveError.io("cannot sync \(path)", errno) }
        guard Glibc.close(descriptor) == 0 else { throw ArchiveError.io("cannot close \(path)", errno) }
    }
}

/// A file read from the start in chunks of a fixed size.
package final class InputFile {
    package let path: String
    private let descriptor: Int32
    private var chunk: [UInt8]

    package init(opening path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveError.io("cannot open \(path)", errno) }
        chunk = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Reads the next chunk and hands it to `body`; false at the end of the file.
    package func readChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        let capacity = chunk.count
        return try chunk.withUnsafeMutableBytes { buffer in
            while true {
                let count = read(descriptor, buffer.baseAddress!, capacity)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError.io("cannot read \(path)", errno)
                }
                if count == 0 { return false }
                try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                return true
            }
        }
    }

    /// Whether `path` names an existing regular file.
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}

/// Creates `path` as a directory if it does not exist; refuses one that holds files.
package func prepareEmptyDirectory(_ path: String) throws {
    if mkdir(path, 0o755) == 0 { return }
    guard errno == EEXIST else { throw ArchiveError.io("cannot create directory \(path)", errno) }
    guard let directory = opendir(path) else { throw ArchiveError.io("cannot open directory \(path)", errno) }
    defer { closedir(directory) }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." {
            throw ArchiveError.invalid("\(path) is not empty; an archive goes into a new or empty directory")
        }
    }
}
