import Ledger
import Foundation

extension LogLinesAppended {
    /// The event's JSON written by hand: byte for byte what `LedgerJSON.encode` writes (sorted
    /// keys, absent optionals left out, `JSONEncoder`'s escapes), without its generic machinery —
    /// a chatty step writes hundreds of thousands of lines, and encoding them was the
    /// executor's main cost.
    public func fastEncode() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(64 + lines.reduce(0) { $0 + $1.message.utf8.count + 80 })
        out += Array("{\"deploymentID\":".utf8)
        Self.appendQuoted(deploymentID, to: &out)
        out += Array(",\"lines\":[".utf8)
        for (index, line) in lines.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"atMicroseconds\":".utf8)
            out += Array(String(line.atMicroseconds).utf8)
            if let data = line.data {
                out += Array(",\"data\":{".utf8)
                for (position, key) in data.keys.sorted().enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    Self.appendQuoted(key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    Self.appendQuoted(data[key]!, to: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
            out += Array(",\"level\":\"".utf8)
            out += Array(line.level.rawValue.utf8)
            out += Array("\",\"message\":".utf8)
            Self.appendQuoted(line.message, to: &out)
            if let step = line.step {
                out += Array(",\"step\":\"".utf8)
                out += Array(step.rawValue.utf8)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return Data(out)
    }

    /// A JSON string as `JSONEncoder` writes it: `"` and `\` escaped, `\b \f \n \r \t` by name,
    /// other control characters as `\u00XX`, everything else (slashes and non-ASCII included) as is.
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
