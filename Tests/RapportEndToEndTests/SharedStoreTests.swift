import Foundation
import XCTest
import RapportTestSupport

/// Several `rapport` processes on one store at once (docs/storage.md, "Sharing a store"):
/// every change kept exactly once, before values built against what the others committed,
/// a long-open session seeing the others' changes, a writer killed mid-stream.
final class SharedStoreTests: XCTestCase {
    var store: TemporaryStore!
    var data: String { store.path }

    override func setUp() {
        store = TemporaryStore("shared")
    }

    override func tearDown() {
        store = nil
    }

    @discardableResult
    func rapport(_ args: [String], stdin: String? = nil) -> RapportRunner.Result {
        store.run(args, stdin: stdin)
    }

    /// The journal's and the audit log's entries in file order: (seq, command, the entry).
    func entries() throws -> [(seq: Int, command: String, entry: [String: Any])] {
        var out: [(Int, String, [String: Any])] = []
        for name in ["audit.jsonl", "journal.jsonl"] {
            guard let text = try? String(contentsOfFile: data + "/" + name, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let json = line[..<line.lastIndex(of: "\t")!]
                let entry = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
                out.append((entry["seq"] as! Int, entry["command"] as! String, entry))
            }
        }
        return out
    }

    func count(_ what: String) -> Int {
        Int(rapport(["--format", "csv", "-c", "count \(what)"]).stdout.split(separator: "\n").last ?? "") ?? -1
    }

    /// A script of 100 small changes for writer `w`: contacts on the customer everyone
    /// shares, purchases of its own customer, and updates of its own field of the shared one.
    static func script(writer w: Int) -> (text: String, contacts: Int, purchases: Int) {
        let fields = ["name", "city", "owner", "email"]
        var lines: [String] = [], contacts = 0, purchases = 0
        for k in 0..<100 {
            switch k % 3 {
            case 0:
                lines.append(#"log contact C1 via phone "w\#(w)-\#(k)""#)
                contacts += 1
            case 1:
                lines.append(#"log purchase C\#(w + 2) amount \#(k + 1) "w\#(w)-\#(k)""#)
                purchases += 1
            default:
                let value = fields[w] == "email" ? "e\(k)@example.com" : "w\(w)-\(k)"
                lines.append(#"update customers where id = "C1" set \#(fields[w]) = "\#(value)""#)
            }
        }
        return (lines.joined(separator: "\n") + "\n", contacts, purchases)
    }

    func makeCustomers() {
        let setup = (1...5).map { #"add customer id: "C\#($0)", name: "Customer \#($0)""# }
        XCTAssertEqual(rapport(setup.flatMap { ["-c", $0] }).status, 0)
    }

    func testFourWritersAtOnceKeepEveryChangeOnceWithTheRightBeforeValues() throws {
        makeCustomers()
        let scripts = (0..<4).map { Self.script(writer: $0) }
        nonisolated(unsafe) var results = [RapportRunner.Result?](repeating: nil, count: 4)
        let lock = NSLock(), path = data
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            let r = RapportRunner.run(["--data", path, "--timezone", "UTC", "--user", "writer\(w)", "-"], stdin: scripts[w].text)
            lock.lock(); results[w] = r; lock.unlock()
        }
        for (w, r) in results.enumerated() {
            XCTAssertEqual(r?.status, 0, "writer \(w): \(r?.stderr ?? "")")
            XCTAssertFalse(r?.stderr.contains("error") ?? true, r?.stderr ?? "")
        }

        let all = try entries()
        // Every change once, numbered without a gap.
        XCTAssertEqual(all.map(\.seq), Array(1...(5 + 400)))
        let commands = all.map(\.command)
        XCTAssertEqual(Set(commands).count, 5 + 400)
        for w in 0..<4 {
            for line in scripts[w].text.split(separator: "\n") where !line.hasPrefix("update") {
                XCTAssertEqual(commands.filter { $0 == line }.count, 1, String(line))
            }
        }
        XCTAssertEqual(count("contacts"), scripts.map(\.contacts).reduce(0, +))
        XCTAssertEqual(count("purchases"), scripts.map(\.purchases).reduce(0, +))

        // Each update's before value is the after value of the one before it on that field,
        // whichever process made that one: each was built against the store as it was on disk.
        var current: [String: String] = ["name": "Customer 1"]
        for e in all where e.command.hasPrefix("update") {
            let change = try XCTUnwrap((e.entry["changes"] as? [[String: Any]])?.first)
            let after = try XCTUnwrap(change["after"] as? [String: Any])
            let before = change["before"] as? [String: Any] ?? [:]
            for (field, value) in after {
                XCTAssertEqual(before[field] as? String, current[field], "change \(e.seq) of \(field)")
                current[field] = value as? String
            }
        }
        // The state is the journal's replay, and each writer's last update of its field won.
        let c1 = rapport(["--format", "csv", "-c", #"find customers where id = "C1" show name, city, owner, email"#]).stdout
        XCTAssertEqual(c1, "name,city,owner,email\nw0-98,w1-98,w2-98,e98@example.com\n")
        XCTAssertEqual(c1, "name,city,owner,email\n\(current["name"]!),\(current["city"]!),\(current["owner"]!),\(current["email"]!)\n")
        XCTAssertEqual(RapportRunner.run(["--data", data, "--check"]).status, 0)
    }

    func testALongOpenSessionSeesAnotherProcessesChangeBeforeItsNextCommand() throws {
        makeCustomers()
        let shell = try LongLivedShell(data: data)
        defer { shell.close() }
        func ask(_ command: String, until expected: String, line: UInt = #line) { shell.ask(command, until: expected, line: line) }
        ask("count customers", until: "count\n5\n")
        ask("count contacts", until: "count\n0\n")
        // Another process changes the store; the open session reads before its next command.
        XCTAssertEqual(rapport(["-c", #"add customer id: "C9", name: "Nine""#, "-c", "log contact C1 via phone"]).status, 0)
        ask("count customers", until: "count\n6\n")
        // Its own change follows the other's (sequence 8 after 7), through a snapshot the other took.
        ask("log contact C9 via visit", until: "count\n6\n")
        ask("count contacts", until: "count\n2\n")
        XCTAssertEqual(rapport(["-c", "log contact C2 via phone", "-c", "save", "-c", "log contact C3 via phone"]).status, 0)
        ask("count contacts", until: "count\n4\n")
        ask("log contact C4 via phone", until: "count\n4\n")
        ask("count contacts", until: "count\n5\n")
        XCTAssertEqual(shell.finish(), 0)
        XCTAssertEqual(try entries().map(\.seq), Array(1...11))
        XCTAssertEqual(count("contacts"), 5)
        XCTAssertEqual(RapportRunner.run(["--data", data, "--check"]).status, 0)
    }

    func testAWriterKilledMidStreamLeavesTheOthersGoingAndTheStoreSound() throws {
        makeCustomers()
        // Writing to the victim's pipe after its death must fail, not end the test run.
        signal(SIGPIPE, SIG_IGN)
        // The victim: a long script, killed while the others run.
        let victim = Process()
        victim.executableURL = RapportRunner.binary
        victim.arguments = ["--data", data, "--timezone", "UTC", "-"]
        let feed = Pipe()
        victim.standardInput = feed
        victim.standardOutput = FileHandle.nullDevice
        victim.standardError = FileHandle.nullDevice
        try victim.run()
        let victimFeeder = Thread {
            for k in 0..<100_000 {
                let line = Data(#"log contact C5 via sms "victim-\#(k)"\#n"#.utf8)
                do { try feed.fileHandleForWriting.write(contentsOf: line) } catch { return }
            }
        }
        victimFeeder.start()
        let scripts = (0..<3).map { Self.script(writer: $0) }
        nonisolated(unsafe) var results = [RapportRunner.Result?](repeating: nil, count: 3)
        let lock = NSLock(), path = data
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            if w == 3 {
                Thread.sleep(forTimeInterval: 1.5)
                kill(victim.processIdentifier, SIGKILL)
                return
            }
            let r = RapportRunner.run(["--data", path, "--timezone", "UTC", "-"], stdin: scripts[w].text)
            lock.lock(); results[w] = r; lock.unlock()
        }
        victim.waitUntilExit()
        XCTAssertEqual(victim.terminationReason, .uncaughtSignal)
        for (w, r) in results.enumerated() { XCTAssertEqual(r?.status, 0, "writer \(w): \(r?.stderr ?? "")") }

        let check = RapportRunner.run(["--data", data, "--check"])
        XCTAssertEqual(check.status, 0, check.stdout)
        let all = try entries()
        XCTAssertEqual(all.map(\.seq), Array(1...all.count))
        let victims = all.filter { $0.command.contains("victim-") }.count
        XCTAssertGreaterThan(victims, 0)
        XCTAssertEqual(count("contacts"), scripts.map(\.contacts).reduce(0, +) + victims)
        XCTAssertEqual(rapport(["-c", "log contact C1 via phone"]).status, 0)
    }

    func testAChangeWaitsForAnotherCommitAndGivesUpWithTheHoldersName() throws {
        makeCustomers()
        // Long enough that the release below lands within it on a busy machine.
        XCTAssertEqual(rapport(["-c", "set policy store.lockWait = 3s"]).status, 0)
        let lockFile = open(data + "/lock", O_RDWR)
        XCTAssertGreaterThanOrEqual(lockFile, 0)
        defer { close(lockFile) }
        XCTAssertEqual(flock(lockFile, LOCK_EX | LOCK_NB), 0)
        // Reading never waits for a writer.
        XCTAssertEqual(count("customers"), 5)
        let refused = rapport(["-c", "log contact C1 via phone"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("in use by another rapport (pid"), refused.stderr)
        XCTAssertEqual(count("contacts"), 0)
        // A commit that ends within the wait lets the change through.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { flock(lockFile, LOCK_UN) }
        let waited = rapport(["-c", "log contact C1 via phone"])
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertEqual(count("contacts"), 1)
    }

    func testAGroupSharedStoreMakesItsFilesGroupWritableWhateverTheUmask() throws {
        XCTAssertEqual(mkdir(data, 0o700), 0)
        XCTAssertEqual(chmod(data, 0o2770), 0)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", #"umask 077; exec "$0" --data "$1" -c 'add customer id: "C1"' -c save -c 'log contact C1 via phone'"#,
                           RapportRunner.binary.path, data]
        try shell.run()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0)
        for name in ["snapshot.json", "journal.jsonl", "audit.jsonl", "lock", "snapshot.lock"] {
            let mode = try FileManager.default.attributesOfItem(atPath: data + "/" + name)[.posixPermissions] as! Int
            XCTAssertEqual(mode & 0o777, 0o660, name)
        }
        let dirMode = try FileManager.default.attributesOfItem(atPath: data)[.posixPermissions] as! Int
        XCTAssertEqual(dirMode & 0o7777, 0o2770)
    }
}
