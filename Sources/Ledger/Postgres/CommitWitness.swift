import Logging
import PostgresNIO
import Synchronization

/// Raised when an append's statement was answered but its commit could not be proven on its
/// connection: whether it committed is unknown, and the caller must find out on fresh state
/// (resending the same event ids answers them with their first result if they landed).
struct CommitNotWitnessed: Error, CustomStringConvertible {
    var description: String { "the append's commit was not confirmed on its connection" }
}

/// The proof, on one connection, that a statement run in an implicit transaction committed.
///
/// A plain statement's rows end at its CommandComplete, but its implicit transaction commits only
/// afterwards, at Sync: an answer taken from the rows could be lost if the connection dropped in
/// between. The connection listens on a private channel; the append statement
/// (``AppendWitnessedStatement``, as `ledger.append_witnessed` of migration 012 does) notifies
/// that channel with a token chosen for it when it moved the head. PostgreSQL delivers a
/// notification only once its transaction has committed, and a session's own before its
/// ReadyForQuery, so the token's arrival proves the commit. It usually arrives in the same read as
/// the rows; if it has not been read yet, any later query on the connection is answered only
/// after it would have been.
final class CommitWitness: Sendable {
    /// The connection's private channel (`LISTEN`ed once, when the witness is made).
    let channel: String

    private struct State {
        var received: [String] = []
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Tokens kept unclaimed at most; only a statement's own can arrive, before its next one is sent.
    private static let keptTokens = 16

    init(channel: String) {
        self.channel = channel
    }

    /// A token not used before on this connection.
    func nextToken() -> String {
        String(state.withLock { state in
            state.nextToken += 1
            return state.nextToken
        })
    }

    /// Called for each notification on the channel.
    func receive(_ token: String) {
        state.withLock { state in
            state.received.append(token)
            if state.received.count > Self.keptTokens { state.received.removeFirst() }
        }
    }

    /// Whether `token` has arrived; it is forgotten once claimed.
    func claim(_ token: String) -> Bool {
        state.withLock { state in
            guard let index = state.received.firstIndex(of: token) else { return false }
            state.received.remove(at: index)
            return true
        }
    }

    /// Returns once the commit of the statement that sent `token` is proven; throws
    /// ``CommitNotWitnessed`` when it cannot be (the token did not come before a later query's answer).
    /// Returns `true` when it needed that later query (for counting how often it does).
    @discardableResult
    func confirm(_ token: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        if claim(token) { return false }
        // Sent after the statement's ReadyForQuery and answered after it: whatever the statement's
        // transaction notified has been read by the time this answer is.
        _ = try await connection.query("SELECT 1", logger: logger).collect()
        guard claim(token) else { throw CommitNotWitnessed() }
        return true
    }
}

/// The ``CommitWitness`` of each open connection, made (and its channel listened to) on first
/// use and forgotten when the connection closes. Connections are told apart by identity, as in
/// ``ClosingConnections``.
final class CommitWitnesses: Sendable {
    static let shared = CommitWitnesses()

    private let witnesses = Mutex<[ObjectIdentifier: CommitWitness]>([:])

    /// The witness of `connection`. Its `LISTEN` is queued on the connection before anything the
    /// caller sends next, so it is in force for the caller's statement.
    func witness(for connection: PostgresConnection) -> CommitWitness {
        let key = ObjectIdentifier(connection)
        let (witness, made) = witnesses.withLock { witnesses in
            if let existing = witnesses[key] { return (existing, false) }
            let made = CommitWitness(channel: Self.newChannelName())
            witnesses[key] = made
            return (made, true)
        }
        if made {
            connection.addListener(channel: witness.channel) { _, notification in witness.receive(notification.payload) }
            // The callback keeps the connection alive, so no other one takes its identity while it is known.
            connection.closeFuture.whenComplete { _ in
                _ = self.witnesses.withLock { $0.removeValue(forKey: ObjectIdentifier(connection)) }
            }
        }
        return witness
    }

    /// A channel name nobody else uses: PostgreSQL lets any session notify any channel.
    private static func newChannelName() -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "_")
        return "ledger_witness_\(suffix)"
    }
}
