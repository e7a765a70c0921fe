import Foundation
import XCTest
import RapportTestSupport

/// Roles that hold (docs/roles.md): grants kept in the store, the session capped by the OS
/// user's grant, and a trainee's masked phones and emails on every output path. A second
/// OS user is played through RAPPORT_TEST_OS_USER, which only debug builds read.
final class GrantTests: XCTestCase {
    var store: TemporaryStore!

    override func setUpWithError() throws {
        store = TemporaryStore("grants")
        let r = run(as: "root", ["-c", #"add customer id: "C000001", name: "王芳", city: 上海, phone: "13812345678", email: "wang.fang@example.com""#,
                                 "-c", #"add customer id: "C000002", name: "李娜", city: 北京, phone: "13900001111", email: "li.na@example.cn""#])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    @discardableResult
    func run(as user: String, _ args: [String], stdin: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", store.path, "--now", "2026-11-24", "--timezone", "UTC"] + args, stdin: stdin,
                          environment: ["RAPPORT_TEST_OS_USER": user])
    }

    func grantAlice(_ role: String) {
        let r = run(as: "root", ["-c", "grant alice \(role)"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    // MARK: Grants

    func testGrantsPersistAcrossRestartsAndTheFirstGrantMakesTheGranterAdmin() {
        let first = run(as: "root", ["-c", "grant alice agent"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, "granted alice agent; granted root admin\n")
        // Another process, then another after a snapshot: the grants are read back both ways.
        XCTAssertEqual(run(as: "bob", ["--format", "csv", "-c", "show grants"]).stdout, "user,role\nalice,agent\nroot,admin\n")
        XCTAssertEqual(run(as: "root", ["-c", "save"]).status, 0)
        XCTAssertEqual(run(as: "root", ["-c", "grant bob manager"]).status, 0)
        XCTAssertEqual(run(as: "root", ["-c", "revoke alice"]).stdout, "revoked alice's grant (was agent)\n")
        XCTAssertEqual(run(as: "bob", ["--format", "csv", "-c", "show grants"]).stdout, "user,role\nbob,manager\nroot,admin\n")
        let journal = (try? String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8)) ?? ""
        XCTAssertTrue(journal.contains(#""grants":[{"user":"alice","before":"agent","after":null}]"#), journal)
    }

    func testTheSessionTakesItsGrantAndNoMore() {
        grantAlice("agent")
        XCTAssertTrue(run(as: "alice", ["--format", "csv", "-c", "show settings"]).stdout.contains("\nrole,agent\n"))
        let above = run(as: "alice", ["--role", "manager", "-c", "count customers"])
        XCTAssertEqual(above.status, 1)
        XCTAssertEqual(above.stdout, "", "nothing ran")
        XCTAssertTrue(above.stderr.hasPrefix("error: --role manager is more than alice is granted: agent at most\n"), above.stderr)
        // Without --role the grant's role: a manager's command is refused naming both.
        let refused = run(as: "alice", ["-c", "recompute tiers"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("needs the manager role; this session is agent"), refused.stderr)
        // Scripts and standard input are the same session.
        XCTAssertEqual(run(as: "alice", ["--role", "admin", "-"], stdin: "count customers\n").status, 1)
        XCTAssertEqual(run(as: "alice", ["--role", "trainee", "-"], stdin: "count customers\n").status, 0)
        // A user with no grant in a granted store is a trainee at most.
        XCTAssertTrue(run(as: "mallory", ["--role", "agent", "-c", "count customers"]).stderr
            .hasPrefix("error: --role agent is more than mallory is granted: trainee at most\n"))
        XCTAssertEqual(run(as: "mallory", ["-c", "delete customers where id = C000001"]).status, 1)
        XCTAssertEqual(run(as: "root", ["--format", "csv", "-c", "count customers"]).stdout, "count\n2\n", "nothing was deleted")
    }

    func testUserCannotRaiseAnyonesRights() {
        grantAlice("manager")
        let r = run(as: "alice", ["--user", "root", "-c", #"log contact C000001 via phone "hi""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: --user needs an admin grant; alice is granted manager at most\n"), r.stderr)
        XCTAssertEqual(run(as: "root", ["--format", "csv", "-c", "count contacts"]).stdout, "count\n0\n")
        // An admin may still record changes under another name.
        XCTAssertEqual(run(as: "root", ["--user", "front-desk", "-c", #"log contact C000001 via phone "hi""#]).status, 0)
        XCTAssertEqual(run(as: "root", ["--format", "csv", "-c", "find contacts show by"]).stdout, "by\nfront-desk\n")
    }

    func testTheLastAdminIsKeptAndGrantsNeedAnAdmin() {
        grantAlice("manager")
        let last = run(as: "root", ["-c", "revoke root"])
        XCTAssertEqual(last.status, 1)
        XCTAssertTrue(last.stderr.contains("root is the store's last admin"), last.stderr)
        let byManager = run(as: "alice", ["-c", "grant alice admin"])
        XCTAssertEqual(byManager.status, 1)
        XCTAssertTrue(byManager.stderr.contains("'grant' needs the admin role; this session is manager"), byManager.stderr)
        XCTAssertEqual(run(as: "root", ["--format", "csv", "-c", "show grants"]).stdout, "user,role\nalice,manager\nroot,admin\n")
    }

    // MARK: Roles by command class

    /// One command of each class and the least role it needs (contract section 11);
    /// every role is tried on each, through the binary, against a fresh store each time.
    func testEachCommandClassIsAllowedFromItsLeastRoleAndRefusedBelow() {
        let table: [(command: String, least: String)] = [
            ("find customers", "trainee"),
            ("show customer C000001", "trainee"),
            ("show grants", "trainee"),
            (#"log contact C000001 via phone "called""#, "agent"),
            ("update customers where id = C000001 set owner = 陈静", "agent"),
            ("update customers where city = 上海 set owner = 陈静", "manager"),
            (#"export customers to "OUT/x.csv""#, "manager"),
            ("recompute tiers", "manager"),
            ("delete customers where id = C000002", "admin"),
            ("set policy resolution.urgent = 12h", "admin"),
            ("grant carol agent", "admin"),
            ("revoke carol", "admin"),
        ]
        let roles = ["trainee", "agent", "manager", "admin"]
        for (command, least) in table {
            for role in roles {
                let fresh = TemporaryStore("grants-table")
                let setup = RapportRunner.run(["--data", fresh.path, "-c", #"add customer id: "C000001", name: "王芳", city: 上海"#,
                                               "-c", #"add customer id: "C000002", name: "李娜", city: 上海"#,
                                               "-c", "grant root admin", "-c", "grant carol agent"],
                                              environment: ["RAPPORT_TEST_OS_USER": "root"])
                XCTAssertEqual(setup.status, 0, setup.stderr)
                let text = command.replacingOccurrences(of: "OUT", with: fresh.files)
                let r = RapportRunner.run(["--data", fresh.path, "--role", role, "-c", text], environment: ["RAPPORT_TEST_OS_USER": "root"])
                if roles.firstIndex(of: role)! >= roles.firstIndex(of: least)! {
                    XCTAssertEqual(r.status, 0, "\(role): \(command): \(r.stderr)")
                } else {
                    XCTAssertEqual(r.status, 1, "\(role): \(command)")
                    XCTAssertTrue(r.stderr.contains("needs the \(least) role; this session is \(role)"), "\(role): \(command): \(r.stderr)")
                }
            }
        }
    }

    // MARK: Masking

    func testATraineeSeesPhonesAndEmailsMaskedInEveryFormat() {
        let query = "find customers sort by id show id, phone, email"
        let expected: [String: String] = [
            "csv": "id,phone,email\nC000001,138****5678,w***@example.com\nC000002,139****1111,l***@example.cn\n",
            "jsonl": #"{"id":"C000001","phone":"138****5678","email":"w***@example.com"}"# + "\n"
                + #"{"id":"C000002","phone":"139****1111","email":"l***@example.cn"}"# + "\n",
        ]
        for (format, output) in expected {
            XCTAssertEqual(run(as: "root", ["--role", "trainee", "--format", format, "-c", query]).stdout, output, format)
        }
        for format in ["table", "json", "chart"] {
            let out = run(as: "root", ["--role", "trainee", "--format", format, "-c", query]).stdout
            XCTAssertTrue(out.contains("138****5678") && out.contains("w***@example.com"), "\(format): \(out)")
            XCTAssertFalse(out.contains("12345678") || out.contains("wang.fang"), "\(format): \(out)")
        }
        // An agent sees them whole.
        XCTAssertTrue(run(as: "root", ["--role", "agent", "--format", "csv", "-c", query]).stdout.contains("13812345678,wang.fang@example.com"))
    }

    func testATraineesCardsGroupsAndErrorsAreMaskedToo() {
        let card = run(as: "root", ["--role", "trainee", "-c", "show customer C000001"]).stdout
        XCTAssertTrue(card.contains("138****5678") && card.contains("w***@example.com"), card)
        XCTAssertFalse(card.contains("13812345678") || card.contains("wang.fang"), card)
        for format in ["json", "jsonl", "csv"] {
            let out = run(as: "root", ["--role", "trainee", "--format", format, "-c", "show customer C000001"]).stdout
            XCTAssertTrue(out.contains("138****5678"), "\(format): \(out)")
            XCTAssertFalse(out.contains("13812345678") || out.contains("wang.fang"), "\(format): \(out)")
        }
        XCTAssertEqual(run(as: "root", ["--role", "trainee", "--format", "csv", "-c", "count customers by email"]).stdout,
                       "email,count\nl***@example.cn,1\nw***@example.com,1\n")
        let byPhone = run(as: "root", ["--role", "trainee", "-c", "count customers by phone"]).stdout
        XCTAssertTrue(byPhone.contains("138****5678") && !byPhone.contains("13812345678"), byPhone)
        // An error message that names a phone or email: its arguments are masked (the source line is what they typed).
        let error = run(as: "root", ["--role", "trainee", "-c", "show customer wang.fang@example.com"])
        XCTAssertEqual(error.status, 1)
        XCTAssertTrue(error.stderr.hasPrefix("error: ") && error.stderr.contains("w***@example.com"), error.stderr)
        // Export stays a manager's.
        XCTAssertEqual(run(as: "root", ["--role", "trainee", "-c", #"export customers to "\#(store.files)/x.csv""#]).status, 1)
    }

    /// The audit trail is a manager's and shows phones and emails whole; a trainee cannot
    /// read it at all, so the old numbers it keeps never reach a trainee, while the
    /// trainee's card and JSON show the new number masked.
    func testAManagersAuditIsUnmaskedAndATraineeCannotReadIt() {
        XCTAssertEqual(run(as: "root", ["-c", #"update customers where id = "C000001" set phone = "13700002222""#]).status, 0)
        let audit = run(as: "root", ["--role", "manager", "--format", "csv", "-c", "audit C000001"])
        XCTAssertEqual(audit.status, 0, audit.stderr)
        for whole in ["13812345678", "13700002222", "wang.fang@example.com"] {
            XCTAssertTrue(audit.stdout.contains(whole), "\(whole): \(audit.stdout)")
        }
        XCTAssertFalse(audit.stdout.contains("****"), audit.stdout)
        XCTAssertEqual(run(as: "root", ["--role", "manager", "--format", "csv", "-c",
                                        "find audit where field = phone and record = C000001 sort by seq show before, after"]).stdout,
                       "before,after\n,13812345678\n13812345678,13700002222\n")
        for command in ["audit C000001", "find audit where field = phone", "count audit by after"] {
            let r = run(as: "root", ["--role", "trainee", "-c", command])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("needs the manager role"), r.stderr)
            XCTAssertFalse((r.stdout + r.stderr).contains("13812345678"), r.stdout + r.stderr)
        }
        let card = run(as: "root", ["--role", "trainee", "-c", "show customer C000001"]).stdout
        XCTAssertTrue(card.contains("137****2222") && !card.contains("13700002222"), card)
        let json = run(as: "root", ["--role", "trainee", "--format", "json", "-c", "find customers where id = C000001 show phone, email"]).stdout
        XCTAssertTrue(json.contains("137****2222") && json.contains("w***@example.com"), json)
        XCTAssertFalse(json.contains("13700002222") || json.contains("wang.fang"), json)
    }
}
