import CLibPQ
import Foundation
import RapportCore

/// One libpq connection. Every statement goes through `execute`, with its values as
/// parameters (PQexecParams, text format): no value is ever pasted into SQL.
final class Connection {
    private let connection: OpaquePointer
    /// The URL with any password left out: what messages and `location` show.
    let shownURL: String

    init(url: String) throws {
        shownURL = Connection.withoutPassword(url)
        guard let c = PQconnectdb(url) else {
            throw Diagnostic.runtime(.postgresConnectionFailed, shownURL, "libpq could not allocate a connection")
        }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = Connection.trimmed(String(cString: PQerrorMessage(c)))
            PQfinish(c)
            throw Diagnostic.runtime(.postgresConnectionFailed, shownURL, message)
        }
        connection = c
        // Server notices (CREATE TABLE IF NOT EXISTS on an existing table) are not for the user.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// Runs one statement; the rows as text (nil for NULL). A failure is thrown as
    /// `failure` with the server's message (a read says nothing changed no more than a change).
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = [], failure: DiagnosticID = .postgresFailed) throws -> [[String?]] {
        let result = withParameters(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard let result else { throw Diagnostic.runtime(failure, Connection.trimmed(String(cString: PQerrorMessage(connection)))) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw Diagnostic.runtime(failure, Connection.trimmed(String(cString: PQresultErrorMessage(result))))
        }
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for r in 0..<rowCount {
            var row: [String?] = []
            row.reserveCapacity(Int(columnCount))
            for c in 0..<columnCount {
                row.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            rows.append(row)
        }
        return rows
    }

    /// How many `transaction` calls are running: one inside another joins the outer one.
    private var transactionDepth = 0

    /// `COPY ... FROM STDIN` (text format), its input made piece by piece: `produce` appends
    /// rows to the buffer and says whether more follow. Each piece is sent before the next is
    /// made, so the server parses one while the client encodes the next, and a load of
    /// millions of rows never holds all its COPY text at once. A refused row fails the
    /// statement; a piece that cannot be made (`produce` throws) ends the COPY as failed.
    func copyIn(_ sql: String, produce: (inout [UInt8]) throws -> Bool) throws {
        guard let started = PQexec(connection, sql) else { throw Diagnostic.runtime(.postgresFailed, Connection.trimmed(String(cString: PQerrorMessage(connection)))) }
        let status = PQresultStatus(started)
        let startMessage = String(cString: PQresultErrorMessage(started))
        PQclear(started)
        guard status == PGRES_COPY_IN else { throw Diagnostic.runtime(.postgresFailed, Connection.trimmed(startMessage)) }
        var sent = true, more = true
        var produceError: Error?
        var piece: [UInt8] = []
        piece.reserveCapacity(Self.copyPieceBytes + (64 << 10))
        while sent, more {
            piece.removeAll(keepingCapacity: true)
            do { more = try produce(&piece) } catch {
                produceError = error
                break
            }
            piece.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    // libpq takes an Int32 length: a piece goes in parts of at most 1 MB.
                    var offset = 0
                    while sent, offset < chars.count {
                        let length = min(1 << 20, chars.count - offset)
                        sent = PQputCopyData(connection, chars.baseAddress! + offset, Int32(length)) == 1
                        offset += length
                    }
                }
            }
        }
        let ended = PQputCopyEnd(connection, sent && produceError == nil ? nil : "the client could not send the rows") == 1
        var failure: String? = sent && ended ? nil : String(cString: PQerrorMessage(connection))
        // Every result of the COPY is read, so that the connection is ready for the next statement.
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, failure == nil { failure = String(cString: PQresultErrorMessage(result)) }
            PQclear(result)
        }
        if let produceError { throw produceError }
        if let failure { throw Diagnostic.runtime(.postgresFailed, Connection.trimmed(failure)) }
    }

    /// About how much COPY text `copyIn` makes before sending it.
    static let copyPieceBytes = 4 << 20

    /// A connection the server closed (restarted, terminated) is opened again, so a
    /// long-lived session recovers at its next command; one that cannot be says why.
    /// Whether it did: a new server session has none of the old one's settings (`SET ROLE`).
    func reconnectIfLost() throws -> Bool {
        guard PQstatus(connection) == CONNECTION_BAD else { return false }
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            throw Diagnostic.runtime(.postgresConnectionFailed, shownURL, Connection.trimmed(String(cString: PQerrorMessage(connection))))
        }
        return true
    }

    /// Runs, inside a transaction, a statement that another session may be making true at
    /// the same moment: roles and memberships belong to the whole server, so two `init`s of
    /// two databases race there, and the later one's insert meets the earlier's row. Under a
    /// savepoint; a duplicate (unique_violation, duplicate_object) is then success.
    func executeUnlessDone(_ sql: String) throws {
        try execute("SAVEPOINT rapport_unless_done")
        guard let result = PQexec(connection, sql) else {
            throw Diagnostic.runtime(.postgresFailed, Connection.trimmed(String(cString: PQerrorMessage(connection))))
        }
        defer { PQclear(result) }
        if PQresultStatus(result) == PGRES_COMMAND_OK {
            try execute("RELEASE SAVEPOINT rapport_unless_done")
            return
        }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = String(cString: PQresultErrorMessage(result))
        try execute("ROLLBACK TO SAVEPOINT rapport_unless_done")
        guard state == "23505" || state == "42710" else { throw Diagnostic.runtime(.postgresFailed, Connection.trimmed(message)) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Inside another (a delivery claim's commit), it is part of that one.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        if transactionDepth > 1 { return try body() }
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private func withParameters<T>(_ parameters: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }

    static func trimmed(_ message: String) -> String {
        message.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ")
    }

    /// `postgres://user:secret@host/db` → `postgres://user@host/db`; a password=... keyword too.
    static func withoutPassword(_ url: String) -> String {
        var shown = url
        if let scheme = shown.range(of: "://"), let at = shown[scheme.upperBound...].firstIndex(of: "@"),
           let colon = shown[scheme.upperBound..<at].firstIndex(of: ":") {
            shown.removeSubrange(colon..<at)
        }
        return shown.replacingOccurrences(of: #"password=[^&\s]*"#, with: "password=...", options: .regularExpression)
    }
}
