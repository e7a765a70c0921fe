import Foundation
import RapportTestSupport
import XCTest

/// Lessons (`tutorial`) in a session on PostgreSQL (docs/postgres.md "Lessons"): the
/// sandbox is the same temporary in-memory demo store as on a store directory, so a
/// trainee login takes a lesson with the same bytes printed, and the team's tables and
/// audit trail are not touched by anything typed in the lesson.
final class PostgresLessonTests: XCTestCase {
    private var server: PostgresTestServer!
    private var home = ""

    static let now = "2026-11-24"

    static let lesson = """
    # Drill: on a team database
    name: drill-team
    now: 2026-11-24
    demo-size: 60
    summary: Change a customer, then find customers.

    ```setup
    update customers where id = C000002 set preferredChannel = "phone"
    ```

    ## Moving a customer up
    Set C000002's tier to silver.

    ```expect change
    update customers where id = C000002 set tier = silver
    ```
    hint: `update customers where id = ID set FIELD = VALUE`.

    ## Gold customers
    Find every customer whose tier is gold.

    ```expect query
    find customers where tier = gold
    ```
    hint: The field is `tier`.

    ## Deleting
    Delete customer C000003 (an admin's command, open to practise in the sandbox).

    ```expect change
    delete customers where id = C000003
    ```
    """

    /// What the trainee types: a wrong change (undone), the right one, a wrong and a right
    /// query, a hint, the delete; then, out of the lesson, commands on the session's store.
    static let typed = [
        "tutorial", "tutorial drill-team",
        "update customers where id = C000002 set tier = gold",
        "update customers where id = C000002 set tier = silver",
        "find customers where tier = silver", "hint",
        "find customers where tier = gold",
        "delete customers where id = C000003",
        "count customers", "tutorial",
    ]

    override func setUpWithError() throws {
        server = try PostgresTestServer()
        home = NSTemporaryDirectory() + "rapport-pg-lesson-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home + "/lessons", withIntermediateDirectories: true)
        try Self.lesson.write(toFile: home + "/lessons/drill-team.lesson.md", atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: home) }

    /// Each run its own progress file, so neither resumes where the other left off.
    private func environment(_ name: String) -> [String: String] {
        ["HOME": home, "XDG_STATE_HOME": home + "/state-" + name, "RAPPORT_LESSONS": home + "/lessons"]
    }

    /// Every row of the team's tables and its audit trail, as psql prints them.
    private func teamData(_ url: String) throws -> String {
        try ["customers", "contacts", "customers_bin", "rapport_audit", "rapport_ids"].map {
            try server.psql(url, "SELECT * FROM \($0) ORDER BY 1")
        }.joined(separator: "\n--\n")
    }

    func testATraineeLoginTakesALessonAsOnAStoreAndTheTeamsDataIsUntouched() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-lesson")
        let team = [#"add customer id: C000002, name: "王芳", tier: gold, city: 上海"#, "log contact C000002 via phone"]
        let seeded = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + team.flatMap { ["-c", $0] })
        XCTAssertEqual(seeded.status, 0, seeded.stderr)
        let trainee = "trainee_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10)
        try server.psql(url, "CREATE ROLE \(trainee) LOGIN")
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "grant \(trainee) trainee"]).status, 0)
        // The embedded store holds the same team records, made by the same user.
        XCTAssertEqual(store.run(["--user", trainee, "--timezone", "UTC"] + team.flatMap { ["-c", $0] }, now: Self.now).status, 0)
        let before = try teamData(url)

        let input = Self.typed.joined(separator: "\n") + "\n"
        let asTrainee = PostgresTrustTests.url(url, as: trainee)
        let pg = RapportRunner.run(["--db", asTrainee, "--now", Self.now, "--timezone", "UTC", "-"], stdin: input, environment: environment("pg"))
        let embedded = RapportRunner.run(["--data", store.path, "--user", trainee, "--role", "trainee", "--now", Self.now, "--timezone", "UTC", "-"],
                                         stdin: input, environment: environment("store"))
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        XCTAssertEqual(pg.stdout, embedded.stdout)
        XCTAssertEqual(pg.stderr, embedded.stderr)
        XCTAssertEqual(pg.status, embedded.status, pg.stderr)
        // The lesson ran to its end with the checker's verdicts, right and wrong.
        let verdicts = pg.stdout.split(separator: "\n").filter { $0.hasPrefix("✓") || $0.hasPrefix("✗") }
        XCTAssertEqual(verdicts.count, 5, pg.stdout)
        XCTAssertEqual(verdicts.filter { $0.hasPrefix("✗") }.count, 2, pg.stdout)
        XCTAssertTrue(pg.stdout.contains("lesson drill-team complete"), pg.stdout)
        // Out of the lesson, `count customers` reads the team's one customer, and nothing
        // the trainee did in the sandbox (an update, a delete as admin) reached the database.
        XCTAssertTrue(pg.stdout.contains("count\n-----\n    1\n"), pg.stdout)
        XCTAssertEqual(try teamData(url), before)

        // The trainee is the database login (as the session's user is), and the progress is theirs.
        let report = RapportRunner.run(["--db", asTrainee, "--format", "csv", "-c", "tutorial report"], environment: environment("pg"))
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(report.stdout.contains("\n\(trainee),drill-team,done,"), report.stdout)
    }
}
