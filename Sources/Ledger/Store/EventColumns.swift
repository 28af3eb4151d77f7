import Foundation
import NIOCore

/// A batch's rows as the column arrays both append paths bind (`unnest` turns them back into rows).
struct EventColumns {
    var positions: [Int64] = []
    var ids: [UUID] = []
    var streams: [String] = []
    var versions: [Int64] = []
    var categories: [String] = []
    var types: [String] = []
    var schemaVersions: [Int32] = []
    var data = ByteaArray()
    var metadata = ByteaArray()
    var actors: [String] = []
    var organisations: [String] = []
    var correlations: [String] = []
    var previousHashes = ByteaArray()
    var hashes = ByteaArray()

    var headStreams: [String] = []
    var headVersions: [Int64] = []
    var headHashes = ByteaArray()
    var headPositions: [Int64] = []

    /// The events in `rows` (with their `metadata`), plus the stream heads to record.
    init(rows: ArraySlice<RecordedEvent>, metadata: ArraySlice<EventMetadata>, streamUpdates: [(key: StreamID, value: AppendPlanner.StreamState)]) {
        data = ByteaArray(reservingBytes: rows.reduce(0) { $0 + $1.data.count + 4 })
        self.metadata = ByteaArray(reservingBytes: rows.reduce(0) { $0 + $1.metadataJSON.count + 4 })
        previousHashes = ByteaArray(reservingBytes: rows.count * 36)
        hashes = ByteaArray(reservingBytes: rows.count * 36)
        for row in rows {
            positions.append(row.position)
            ids.append(row.id)
            streams.append(row.streamID.rawValue)
            versions.append(row.streamVersion)
            categories.append(row.streamID.category)
            types.append(row.type)
            schemaVersions.append(Int32(row.schemaVersion))
            data.append(row.data)
            self.metadata.append(row.metadataJSON)
            previousHashes.append(row.previousHash.bytes)
            hashes.append(row.hash.bytes)
        }
        for entry in metadata {
            // Empty strings become NULL in SQL: arrays of optionals are not bindable.
            actors.append(entry.actor ?? "")
            organisations.append(entry.organisation ?? "")
            correlations.append(entry.correlationID?.uuidString ?? "")
        }
        for (stream, state) in streamUpdates {
            headStreams.append(stream.rawValue)
            headVersions.append(state.version)
            headHashes.append(state.lastHash.bytes)
            headPositions.append(state.lastPosition)
        }
    }
}
