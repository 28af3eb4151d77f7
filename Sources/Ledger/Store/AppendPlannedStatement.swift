import NIOCore
import PostgresNIO

/// The planned append's gate, `ledger.append_gate` (migration 010), as a prepared statement run
/// inside a transaction: the bulk path's first step before its COPY. A small batch sends the
/// same arguments with the gate's query itself, which runs in its own implicit transaction and
/// proves the commit to the writer (``AppendWitnessedStatement``).
///
/// The writer planned the batch — versions, positions, hashes — from the head and stream states
/// it last saw. The statement moves the head only if it is still where the plan assumed: the
/// same position and the same hash of the event there (a writer that waited for the row lock
/// re-checks against the head the other writer committed). The hash tells apart two histories
/// that reach one position: a plan made on top of a batch that was prepared but never committed
/// must not land after another batch of the same size took its place. Every insert is gated on
/// that move: either the whole plan is written, or nothing is and the answer is `false`, so the
/// writer re-reads and re-plans. Streams the writer had not seen and planned as new
/// (`assumedAbsent`) must not exist either: the head check makes the statement's snapshot the
/// one the plan assumed, so that read is exact. An event id that already exists fails the
/// unique index and rolls everything back; the writer then takes the locked path, which answers
/// retries with their original result.
/// Holding the head row's lock until commit keeps positions gapless and visible in order.
struct AppendPlannedStatement: PostgresPreparedStatement {
    /// Named once: the protocol's default, `String(reflecting:)` of the type, is computed anew on every execution.
    static let name = "ledger_append_planned"

    static let sql = "SELECT ledger.append_gate(\(arguments))"

    /// The 25 arguments of `ledger.append_gate` (migration 010), typed as it declares them;
    /// ``AppendWitnessedStatement`` takes the same 25 first.
    static let arguments = """
        $1::bigint, $2::bigint, $3::bigint, $4::int, $5::bigint[], $6::uuid[], $7::text[], $8::bigint[], $9::text[], $10::text[], \
        $11::int[], $12::bytea[], $13::bytea[], $14::text[], $15::text[], $16::text[], $17::bytea[], $18::bytea[], $19::text[], \
        $20::bigint[], $21::bytea[], $22::bigint[], $23::text[], $24::bytea, $25::bytea
        """

    typealias Row = Bool

    var expectedHead: Int64
    /// The hash of the event at `expectedHead` (nil for an empty log, or one migrated before the head kept it).
    var expectedHeadHash: EventHash?
    var newHead: Int64
    /// The hash of the batch's last event, which the head records.
    var newHeadHash: EventHash
    var recordedAtMicroseconds: Int64
    /// Test-only: keep the transaction open this long before it commits.
    var holdMilliseconds: Int32
    /// Streams planned as absent without having been read.
    var assumedAbsent: [String]
    var columns: EventColumns

    /// How many arguments the gate takes (the `arguments` above).
    static let argumentCount = 25

    func makeBindings() throws -> PostgresBindings { bindings(capacity: Self.argumentCount) }

    /// The gate's bindings, in a buffer with room for `capacity` (a statement that sends more
    /// after them asks for its total, so the buffer is not grown on every append).
    func bindings(capacity: Int) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: capacity)
        bindings.append(expectedHead)
        bindings.append(newHead)
        bindings.append(recordedAtMicroseconds)
        bindings.append(holdMilliseconds)
        bindings.append(columns.positions)
        bindings.append(columns.ids)
        bindings.append(columns.streams)
        bindings.append(columns.versions)
        bindings.append(columns.categories)
        bindings.append(columns.types)
        bindings.append(columns.schemaVersions)
        bindings.append(columns.data)
        bindings.append(columns.metadata)
        bindings.append(columns.actors)
        bindings.append(columns.organisations)
        bindings.append(columns.correlations)
        bindings.append(columns.previousHashes)
        bindings.append(columns.hashes)
        bindings.append(columns.headStreams)
        bindings.append(columns.headVersions)
        bindings.append(columns.headHashes)
        bindings.append(columns.headPositions)
        bindings.append(assumedAbsent)
        bindings.append(expectedHeadHash.map { ByteBuffer(bytes: $0.bytes) })
        bindings.append(ByteBuffer(bytes: newHeadHash.bytes))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool {
        try row.decode(Bool.self)
    }
}
