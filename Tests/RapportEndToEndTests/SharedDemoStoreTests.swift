import XCTest
import RapportTestSupport

/// The saved demo store that the reading tests share (SharedDemoStore) answers as `--demo`
/// itself does: every record of every entity, the derived fields and the policy came
/// through `backup to` and the column image, and `--read-only` changes no output.
final class SharedDemoStoreTests: XCTestCase {
    static let questions = [
        "count customers", "count contacts", "count purchases", "count tickets", "count surveys", "count tasks",
        "count points", "count messages", "count customers by tier", "count tickets by status",
        "sum points of customers", "find customers where id <= C000040 show *",
        "find tickets where id <= T000040 show *", "find purchases limit 40 show *", "show policy",
    ]

    func testTheSavedStoreAnswersAsTheGeneratedOne() {
        let commands = Self.questions.flatMap { ["-c", $0] }
        let generated = RapportRunner.run(["--demo", "--demo-size", "2000", "--now", "2026-11-24", "--timezone", "UTC",
                                           "--format", "csv"] + commands)
        let saved = RapportRunner.run(SharedDemoStore.arguments(size: 2000, now: "2026-11-24") + ["--format", "csv"] + commands)
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertEqual(saved.status, 0, saved.stderr)
        XCTAssertEqual(saved.stderr, generated.stderr)
        XCTAssertGreaterThan(generated.stdout.split(separator: "\n").count, 150, generated.stdout)
        XCTAssertEqual(saved.stdout, generated.stdout)
    }

    func testTheSavedStoreRefusesAChange() {
        let r = RapportRunner.run(SharedDemoStore.arguments(size: 2000, now: "2026-11-24")
                                  + ["-c", "log contact C000001 via phone \"shared\""])
        XCTAssertNotEqual(r.status, 0, "a test that changes the shared store must fail, not change it for the others")
        let count = RapportRunner.run(SharedDemoStore.arguments(size: 2000, now: "2026-11-24")
                                      + ["--format", "csv", "-c", "count contacts where note = \"shared\""])
        XCTAssertEqual(count.stdout, "count\n0\n", count.stderr)
    }
}
