import Foundation
import RapportTestSupport
import XCTest

/// A read that fails on the server is an error with the server's message, never an empty
/// answer; the long-lived session connects again at its next command.
final class PostgresReadFailureTests: XCTestCase {
    func testAConnectionKilledDuringAReadIsAnErrorAndTheSessionRecovers() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "init", "-c", "add customer name: \"Ada\""]).status, 0)

        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("pg-read-failure-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: errors) }
        let shell = try LongLivedShell(store: ["--db", url], errors: errors)
        defer { shell.close() }
        shell.ask("count customers", until: "count\n1\n")

        // A second connection holds the table, so the session's next read waits on the
        // server; then the server ends the session's connection in the middle of that read.
        let holder = try server.openSession(url)
        defer { holder.end() }
        holder.send("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE; SELECT 'locked';")
        XCTAssertTrue(holder.waitFor("locked"), "the lock was taken")
        shell.send("find customers")
        let waiting = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        XCTAssertTrue(server.waitUntil(url, waiting) { !$0.isEmpty }, "the session's read waits on the lock")
        let pid = try server.psql(url, waiting)
        try server.psql(url, "SELECT pg_terminate_backend(\(pid))")

        let deadline = Date().addingTimeInterval(20)
        var shown = ""
        while !shown.contains("could not answer"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            shown = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(shown.contains("error: the PostgreSQL database could not answer, so nothing is shown:"), shown)
        // libpq reports the connection the server closed (its notice may come first).
        XCTAssertTrue(shown.contains("terminating connection") || shown.contains("server closed the connection"), "the server's own message: \(shown)")
        holder.end()

        // The next command connects again and answers; the failed one printed nothing.
        shell.ask("find customers show name", until: "name\nAda\n")
        XCTAssertEqual(shell.printed, "count\n1\nname\nAda\n", "no answer was printed for the failed read")
        XCTAssertEqual(shell.finish(), 1, "a session with a failed command ends with status 1")
    }

    func testAServerErrorDuringAReadIsAnErrorWithStatusOne() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "init", "-c", "add customer name: \"Ada\""]).status, 0)
        // A statement timeout of 1 ms while another connection holds the table: every read
        // of customers is cancelled by the server.
        let holder = try server.openSession(url)
        defer { holder.end() }
        holder.send("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE; SELECT 'locked';")
        XCTAssertTrue(holder.waitFor("locked"))
        for query in ["find customers", "count customers", "count customers by city", "find customers where name = ada"] {
            let r = RapportRunner.run(["--db", url, "-c", query], environment: ["PGOPTIONS": "-c lock_timeout=200"])
            XCTAssertEqual(r.status, 1, query)
            XCTAssertEqual(r.stdout, "", "\(query): nothing printed as an answer")
            XCTAssertTrue(r.stderr.contains("could not answer, so nothing is shown: ERROR:  canceling statement due to lock timeout"), "\(query): \(r.stderr)")
        }
        // A change whose before values cannot be read changes nothing.
        let update = RapportRunner.run(["--db", url, "-c", "update customers where name = ada set city = Oslo"], environment: ["PGOPTIONS": "-c lock_timeout=200"])
        XCTAssertEqual(update.status, 1, update.stdout)
        XCTAssertTrue(update.stderr.contains("could not answer"), update.stderr)
        // A command that stops on what the failed read left out says why it really stopped:
        // not "no such customer", the server's message.
        let log = RapportRunner.run(["--db", url, "-c", "log contact C000001 via phone"], environment: ["PGOPTIONS": "-c lock_timeout=200"])
        XCTAssertEqual(log.status, 1, log.stdout)
        XCTAssertTrue(log.stderr.contains("could not answer, so nothing is shown: ERROR:  canceling statement due to lock timeout"), log.stderr)
        XCTAssertEqual(log.stdout, "")
        holder.end()
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers WHERE city IS NOT NULL"), "0")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM contacts"), "0")
    }
}
