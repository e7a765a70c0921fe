import Foundation
import XCTest
import RapportTestSupport

/// `--role` limits what a session may run, by each command's least role in the catalogue;
/// a refusal names the role needed, exits 1 and changes nothing, in `-c`, scripts and stdin.
final class RoleTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-roles-\(UUID().uuidString)"
        let r = rapport(["-c", #"add customer id: "C000001", name: "王芳", city: 上海"#,
                         "-c", #"add customer id: "C000002", name: "李娜", city: 上海"#])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    @discardableResult
    func rapport(_ args: [String], stdin: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", data, "--now", "2026-11-24", "--timezone", "UTC"] + args, stdin: stdin)
    }

    func csv(_ command: String) -> String { rapport(["--format", "csv", "-c", command]).stdout }

    func testATraineeCannotDeleteAndNothingChanges() {
        let r = rapport(["--role", "trainee", "-c", "delete customers where id = C000001"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "error: 'delete' needs the admin role; this session is trainee\n")
        XCTAssertEqual(csv("count customers"), "count\n2\n", "nothing deleted")
    }

    func testATraineeReads() {
        for command in ["find customers", "count customers by city", "show customer C000001", "help", "set timer on",
                        "show settings", "check", "sum totalSpent of customers"] {
            let r = rapport(["--role", "trainee", "-c", command])
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
        }
        for (command, needed) in [("log contact C000001 via phone", "agent"), ("save", "manager"),
                                  (#"export customers to "x.csv""#, "manager"), ("set now 2026-01-01", "manager"),
                                  (#"backup to "b""#, "admin"), (#"import customers from "x.csv""#, "admin")] {
            let r = rapport(["--role", "trainee", "-c", command])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("needs the \(needed) role; this session is trainee"), "\(command): \(r.stderr)")
        }
        XCTAssertEqual(csv("count contacts"), "count\n0\n", "the refused log changed nothing")
    }

    func testAnAgentUpdatesOneCustomerByIdButNotMany() {
        let one = rapport(["--role", "agent", "-c", "update customers where id = C000001 set owner = 陈静"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let many = rapport(["--role", "agent", "-c", "update customers where city = 上海 set owner = 张伟"])
        XCTAssertEqual(many.status, 1)
        XCTAssertTrue(many.stderr.hasPrefix("error: 'update' needs the manager role; this session is agent\n"), many.stderr)
        let all = rapport(["--role", "agent", "-c", "update all customers set owner = 张伟"])
        XCTAssertEqual(all.status, 1, all.stderr)
        XCTAssertEqual(csv("find customers sort by id show id, owner"), "id,owner\nC000001,陈静\nC000002,\n")
        let manager = rapport(["--role", "manager", "-c", "update customers where city = 上海 set owner = 张伟"])
        XCTAssertEqual(manager.status, 0, manager.stderr)
        XCTAssertEqual(csv("count customers where owner = 张伟"), "count\n2\n")
    }

    func testScriptsAndStandardInputAreCheckedToo() throws {
        let script = NSTemporaryDirectory() + "rapport-roles-\(UUID().uuidString).rap"
        defer { try? FileManager.default.removeItem(atPath: script) }
        try "count customers\ndelete customers where id = C000002\n".write(toFile: script, atomically: true, encoding: .utf8)
        let r = rapport(["--role", "manager", script])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("'delete' needs the admin role; this session is manager"), r.stderr)
        let piped = rapport(["--role", "agent"], stdin: "delete customers where id = C000002\n")
        XCTAssertEqual(piped.status, 1, piped.stderr)
        XCTAssertEqual(csv("count customers"), "count\n2\n")
        XCTAssertEqual(rapport(["--role", "admin", "-c", "delete customers where id = C000002"]).status, 0)
    }
}
