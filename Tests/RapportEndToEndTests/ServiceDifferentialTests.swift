import Foundation
import XCTest
import RapportTestSupport

/// The service entities and their derived fields asked of Rapport and of sqlite3: tickets
/// (status, channel, respondedAt, resolvedAt and the derived respondBy, resolveBy, overdue,
/// sla), events, surveys, tasks and the customers' nextContactDue, in random queries.
///
/// Tickets come two ways: imported with their times (no timeline, so the resolve clock never
/// paused) and taken through the lifecycle by commands at four instants (wait, reply,
/// resolve, close, reopen), so the pauses come from the events. The oracle reads the stored
/// tickets, events, surveys, tasks and customers back as CSV (as `scripts/bench` does) and
/// derives the fields in SQL written to the rules of docs/service.md and docs/value.md at the
/// policy's defaults. `RAPPORT_DIFF_SEED` replays a run.
final class ServiceDifferentialTests: XCTestCase {
    static let now = "2026-11-01T12:00:00Z"
    static let nowSeconds = DayMath.ordinal(DifferentialTests.today) * 86400 + 43200

    static func instant(_ seconds: Int) -> String {
        let day = seconds / 86400, s = seconds % 86400
        return DayMath.string(day) + String(format: "T%02d:%02d:%02d+00:00", s / 3600, s / 60 % 60, s % 60)
    }

    func testServiceQueriesAgreeWithSQLite() throws {
        let seed = ProcessInfo.processInfo.environment["RAPPORT_DIFF_SEED"].flatMap { UInt64($0) } ?? 20261101
        var r = SeededRandom(seed: seed)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-service-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = dir.appendingPathComponent("store").path
        func rapport(_ commands: [String], at now: String = Self.now, format: String = "csv") -> RapportRunner.Result {
            let result = RapportRunner.run(["--data", store, "--now", now, "--timezone", "UTC", "--format", format, "--role", "admin"]
                                           + commands.flatMap { ["-c", $0] })
            XCTAssertEqual(result.status, 0, "seed \(seed): \(result.stderr)")
            return result
        }
        func write(_ name: String, _ lines: [String]) throws -> String {
            let url = dir.appendingPathComponent(name)
            try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        func json(_ object: [String: Any]) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }

        let customers = (0..<150).map { CustomerGenerator.customer(number: $0, random: &r) }
        let ids = customers.map(\.id)
        let channels = ["phone", "wechat", "email", "sms", "visit"]
        // Offsets from now in seconds on the targets' boundaries (3min, 1h, 24h, 48h, 72h, 7d).
        let ages = [60, 179, 180, 181, 3599, 3600, 3601, 86399, 86400, 86401, 172800, 172801, 259199, 259200, 259201, 604800, 604801, 900000]
        var tickets: [String] = []
        for _ in 0..<250 {
            var t: [String: Any] = ["customer": r.pick(ids), "kind": r.pick(["inquiry", "suggestion"]), "text": "t"]
            if r.chance(0.8) { t["channel"] = r.pick(channels) }
            if r.chance(0.85) { t["priority"] = r.pick(["low", "normal", "high", "urgent"]) }
            let opened = Self.nowSeconds - (r.chance(0.6) ? r.pick(ages) : r.int(0...1_500_000))
            if r.chance(0.95) { t["openedAt"] = Self.instant(opened) }
            // Each later time after the one before, and not after now.
            var at = opened
            func later() -> String { at += r.chance(0.3) ? r.pick([0, 60, 180, 3600]) : r.int(0...max(0, Self.nowSeconds - at)); at = min(at, Self.nowSeconds); return Self.instant(at) }
            let status = r.pick(["open", "responded", "resolved", "closed", "closed"])
            t["status"] = status
            if status != "open", r.chance(0.9) { t["respondedAt"] = later() }
            if status == "resolved" || (status == "closed" && r.chance(0.7)) { t["resolvedAt"] = later() }
            if status == "closed" { t["closedAt"] = later() }
            tickets.append(json(t))
        }
        let purchases = customers.filter { _ in r.chance(0.3) }.map {
            json(["customer": $0.id, "date": CustomerGenerator.day(ago: r.int(0...200)), "amount": 100])
        }
        let surveys = (0..<200).map { _ -> String in
            var s: [String: Any] = ["customer": r.pick(ids), "date": CustomerGenerator.day(ago: r.int(0...400)), "score": r.int(1...5)]
            if r.chance(0.7) { s["nps"] = r.int(0...10) }
            if r.chance(0.6) { s["channel"] = r.pick(channels) }
            return json(s)
        }
        let tasks = (0..<150).map { _ in
            json(["customer": r.pick(ids), "owner": r.pick(["alice", "bob", "李娜"]), "text": "回访",
                  "due": CustomerGenerator.day(ago: r.int(-10...10)), "status": r.pick(["open", "open", "done"])])
        }
        let files = [("customers", try write("customers.jsonl", customers.map(\.jsonLine))), ("tickets", try write("tickets.jsonl", tickets)),
                     ("purchases", try write("purchases.jsonl", purchases)), ("surveys", try write("surveys.jsonl", surveys)),
                     ("tasks", try write("tasks.jsonl", tasks))]
        _ = rapport(files.map { "import \($0.0) from \"\($0.1)\"" })

        // Forty tickets through the lifecycle: opened five days ago, then a step or none at three later instants.
        let openedAt = Self.instant(Self.nowSeconds - 5 * 86400)
        _ = rapport((0..<40).map { _ in
            "open ticket \(r.pick(ids)) inquiry\(r.chance(0.8) ? " via " + r.pick(channels) : "") \"lifecycle\" priority \(r.pick(["low", "normal", "high", "urgent"]))"
        }, at: openedAt)
        var statuses = [String](repeating: "open", count: 40)
        for hoursAgo in [96, 50, 3] {
            var steps: [String] = []
            for i in 0..<40 where r.chance(0.7) {
                let allowed: [(String, String)] = switch statuses[i] {
                case "open", "responded": [("reply", "responded"), ("wait", "pending"), ("resolve", "resolved"), ("close", "closed")]
                case "pending": [("reply", "responded"), ("resolve", "resolved"), ("close", "closed")]
                default: [("reopen", "open"), ("reopen", "open")]
                }
                let (step, after) = r.pick(allowed)
                // The imported tickets took T000001 to T000250.
                steps.append("\(step) \(String(format: "T%06d", 251 + i)) \"step\"")
                statuses[i] = after
            }
            _ = rapport(steps, at: Self.instant(Self.nowSeconds - hoursAgo * 3600))
        }

        var exports: [String: String] = [:]
        for entity in ["customers", "tickets", "events", "surveys", "tasks", "purchases"] {
            exports[entity] = dir.appendingPathComponent("\(entity).csv").path
        }
        _ = rapport(exports.map { "export \($0.key) to \"\($0.value)\"" })

        let queries = (0..<220).map { _ in ServiceQueries.query(random: &r) }
        let oracle = try ServiceQueries.oracle(exports: exports, queries: queries, directory: dir)
        let run = RapportRunner.run(["--data", store, "--now", Self.now, "--timezone", "UTC", "--format", "json", "--bail", "-"],
                                    stdin: queries.map(\.rapport).joined(separator: "\n") + "\n")
        XCTAssertEqual(run.status, 0, "seed \(seed): \(run.stderr)")
        let answers = RapportAnswers.parse(run.stdout, queries: queries)
        XCTAssertEqual(answers.count, queries.count, "seed \(seed): one JSON array per query")
        XCTAssertGreaterThan(oracle.filter { !$0.isEmpty }.count, queries.count / 2, "most queries should have answers")
        var disagreements = 0
        for (index, query) in queries.enumerated() where index < answers.count && answers[index] != oracle[index] {
            disagreements += 1
            if disagreements <= 5 {
                XCTFail("""
                    seed \(seed), query \(index):
                      rapport: \(query.rapport)
                      sql:     \(query.sql)
                      rapport answered \(answers[index].prefix(12))
                      sqlite3 answered \(oracle[index].prefix(12))
                    """)
            }
        }
        XCTAssertEqual(disagreements, 0, "seed \(seed): \(disagreements) of \(queries.count) queries disagree")
    }
}

enum ServiceQueries {
    /// The tickets with their derived fields, at the policy's defaults (docs/service.md): the
    /// pauses of the resolve clock come from the events in id order, as in `scripts/bench`.
    static let ticketView = """
        CREATE VIEW tk AS WITH
        ev AS (SELECT ticket, CAST(strftime('%s', at) AS INTEGER) AS t, lower(status) IN ('open', 'responded') AS runs,
          coalesce(lag(lower(status) IN ('open', 'responded')) OVER (PARTITION BY ticket ORDER BY id), 1) AS ran
          FROM events WHERE at IS NOT NULL),
        p AS (SELECT ticket, sum(runs AND NOT ran) AS ends, sum(NOT runs AND ran) AS starts,
          total(CASE WHEN runs AND NOT ran THEN t END) AS end_sum, total(CASE WHEN NOT runs AND ran THEN t END) AS start_sum,
          max(CASE WHEN NOT runs AND ran THEN t END) AS last_start FROM ev GROUP BY ticket),
        ps AS (SELECT ticket, CASE WHEN starts > ends THEN last_start END AS since,
          end_sum - start_sum + CASE WHEN starts > ends THEN last_start ELSE 0 END AS before FROM p),
        b AS (SELECT t.*, lower(t.status) AS st, CAST(strftime('%s', t.openedAt) AS INTEGER) AS opened,
          CAST(strftime('%s', t.respondedAt) AS INTEGER) AS responded,
          CAST(strftime('%s', coalesce(t.resolvedAt, t.closedAt)) AS INTEGER) AS doneAt,
          lower(t.status) IN ('resolved', 'closed') AS done, ps.since, coalesce(ps.before, 0) AS before,
          CASE lower(t.channel) WHEN 'phone' THEN 180 WHEN 'wechat' THEN 3600 WHEN 'email' THEN 86400 WHEN 'sms' THEN 86400 WHEN 'visit' THEN 86400 END AS response,
          CASE lower(t.priority) WHEN 'urgent' THEN 86400 WHEN 'high' THEN 172800 WHEN 'low' THEN 604800 ELSE 259200 END AS resolution,
          \(ServiceDifferentialTests.nowSeconds) AS now
          FROM tickets t LEFT JOIN ps ON ps.ticket = t.id),
        d AS (SELECT *, opened + response AS respondBySec,
          CASE WHEN opened IS NOT NULL THEN opened + resolution + before + CASE WHEN st = 'pending' AND since IS NOT NULL THEN max(0, now - since) ELSE 0 END END AS resolveBySec
          FROM b),
        s AS (SELECT *,
          CASE WHEN respondBySec IS NULL THEN 'none'
            WHEN coalesce(responded, CASE WHEN done THEN doneAt END) IS NOT NULL THEN CASE WHEN coalesce(responded, doneAt) > respondBySec THEN 'breached' ELSE 'met' END
            WHEN done THEN 'unknown' WHEN now > respondBySec THEN 'breached' ELSE 'due' END AS r1,
          CASE WHEN done THEN CASE WHEN coalesce(since, doneAt) IS NULL THEN 'unknown' WHEN coalesce(since, doneAt) > resolveBySec THEN 'breached' ELSE 'met' END
            WHEN now > resolveBySec THEN 'breached' ELSE 'due' END AS r2
          FROM d)
        SELECT *, coalesce(opened IS NOT NULL AND NOT done AND ((responded IS NULL AND respondBySec IS NOT NULL AND now > respondBySec) OR now > resolveBySec), 0) AS overdue,
          CASE WHEN opened IS NULL THEN NULL WHEN 'breached' IN (r1, r2) THEN 'breached' WHEN 'due' IN (r1, r2) THEN 'due'
            WHEN 'unknown' IN (r1, r2) THEN NULL ELSE 'met' END AS sla
        FROM s;
        """

    /// nextContactDue (docs/value.md) as a julian day, with the purchases' last date up to today.
    static let customerView = """
        CREATE VIEW cu AS WITH lp AS (SELECT customer, max(date) AS last FROM purchases WHERE date <= '\(DifferentialTests.today)' GROUP BY customer),
        d AS (SELECT c.*, julianday(date(coalesce(c.lastContact, c.createdAt))) + CASE upper(c.grade) WHEN 'A' THEN 30 WHEN 'B' THEN 60
            WHEN 'C' THEN 90 WHEN 'D' THEN 180 ELSE 90 END AS revisit, lp.last FROM customers c LEFT JOIN lp ON lp.customer = c.id)
        SELECT *, CASE WHEN last IS NOT NULL AND (lastContact IS NULL OR last > lastContact)
          THEN min(coalesce(revisit, 1e9), julianday(last) + 7) ELSE revisit END AS due FROM d;
        """

    static func quotedInstant(_ seconds: Int) -> (rapport: String, sql: String) {
        let text = ServiceDifferentialTests.instant(seconds)
        return ("\"\(text.dropLast(6))\"", "\(seconds)")
    }

    static func ticketAtom(random r: inout SeededRandom) -> Condition {
        let moment = quotedInstant(ServiceDifferentialTests.nowSeconds - r.pick([-172800, -3600, 0, 180, 3600, 86400, 259200, 604800]))
        switch r.int(0...10) {
        case 0: return Condition(rapport: "overdue", sql: "overdue")
        case 1: return Condition(rapport: "not overdue", sql: "NOT overdue")
        case 2: let v = r.pick(["met", "due", "breached"]); return Condition(rapport: "sla = \(v)", sql: "coalesce(sla = '\(v)', 0)")
        case 3: return Condition(rapport: "sla is null", sql: "sla IS NULL")
        case 4: let v = r.pick(["open", "responded", "pending", "resolved", "closed"]); return Condition(rapport: "status = \(v)", sql: "coalesce(st = '\(v)', 0)")
        case 5: let v = r.pick(["phone", "wechat", "email", "sms", "visit"]); return Condition(rapport: "channel = \(v)", sql: "coalesce(channel = '\(v)', 0)")
        case 6: return Condition(rapport: "respondedAt is null", sql: "respondedAt IS NULL")
        case 7: let op = r.pick(["<", "<=", ">", ">="]); return Condition(rapport: "respondBy \(op) \(moment.rapport)", sql: "coalesce(respondBySec \(op) \(moment.sql), 0)")
        case 8: let op = r.pick(["<", "<=", ">", ">="]); return Condition(rapport: "resolveBy \(op) \(moment.rapport)", sql: "coalesce(resolveBySec \(op) \(moment.sql), 0)")
        case 9: let op = r.pick(["<", ">="]); return Condition(rapport: "resolvedAt \(op) \(moment.rapport)", sql: "coalesce(CAST(strftime('%s', resolvedAt) AS INTEGER) \(op) \(moment.sql), 0)")
        default: let v = r.pick(["low", "normal", "high", "urgent"]); return Condition(rapport: "priority = \(v)", sql: "coalesce(priority = '\(v)', 0)")
        }
    }

    static func ticketCondition(depth: Int, random r: inout SeededRandom) -> Condition {
        guard depth > 0, r.chance(0.5) else { return ticketAtom(random: &r) }
        let a = ticketCondition(depth: depth - 1, random: &r), b = ticketCondition(depth: depth - 1, random: &r)
        return r.chance(0.5) ? Condition(rapport: "\(a.rapport) and \(b.rapport)", sql: "(\(a.sql) AND \(b.sql))")
            : Condition(rapport: "(\(a.rapport) or \(b.rapport))", sql: "(\(a.sql) OR \(b.sql))")
    }

    static func query(random r: inout SeededRandom) -> GeneratedQuery {
        let today = DifferentialTests.today
        switch r.int(0...9) {
        case 0...3:
            let c = ticketCondition(depth: 2, random: &r)
            return GeneratedQuery(rapport: "find tickets where \(c.rapport) show id", sql: "SELECT id FROM tk WHERE \(c.sql) ORDER BY id", shape: .ids)
        case 4:
            let c = ticketCondition(depth: 1, random: &r)
            let by = r.pick(["sla", "status", "channel"])
            let column = by == "status" ? "st" : by
            return GeneratedQuery(rapport: "count tickets where \(c.rapport) by \(by)",
                                  sql: "SELECT \(column), count(*) FROM tk WHERE \(c.sql) GROUP BY 1 ORDER BY \(column) IS NULL, \(column)",
                                  shape: .aggregate(columns: [.text, .number]))
        case 5:
            let moment = quotedInstant(ServiceDifferentialTests.nowSeconds - r.pick([3 * 3600, 50 * 3600, 96 * 3600, 5 * 86400]))
            let (rc, sc) = r.pick([("kind = \(r.pick(["opened", "replied", "waiting", "resolved", "closed", "reopened"]))", "kind = '?'"),
                                   ("status = \(r.pick(["open", "responded", "pending", "resolved", "closed"]))", "status = '?'"),
                                   ("at >= \(moment.rapport)", "CAST(strftime('%s', at) AS INTEGER) >= \(moment.sql)")])
            let sql = sc.contains("?") ? sc.replacingOccurrences(of: "?", with: String(rc.split(separator: " ").last!)) : sc
            return GeneratedQuery(rapport: "find events where \(rc) show id", sql: "SELECT id FROM events WHERE \(sql) ORDER BY id", shape: .ids)
        case 6:
            let score = r.int(1...5), nps = r.int(0...10), days = r.pick([0, 30, 90, 365])
            let (rc, sc) = r.pick([("score >= \(score) and nps < \(nps)", "score >= \(score) AND nps < \(nps)"),
                                   ("channel = phone or score = \(score)", "coalesce(channel = 'phone', 0) OR score = \(score)"),
                                   ("date <= \(days)d", "date >= date('\(today)', '-\(days) days')"),
                                   ("nps is null", "nps IS NULL")])
            return GeneratedQuery(rapport: "find surveys where \(rc) show id", sql: "SELECT id FROM surveys WHERE \(sc) ORDER BY id", shape: .ids)
        case 7:
            let owner = r.pick(["alice", "bob", "李娜"])
            let (rc, sc) = r.pick([("owner = \(owner) and due <= today and status = open", "owner = '\(owner)' AND due <= '\(today)' AND status = 'open'"),
                                   ("status = done or due > today", "status = 'done' OR due > '\(today)'")])
            return GeneratedQuery(rapport: "find tasks where \(rc) show id", sql: "SELECT id FROM tasks WHERE \(sc) ORDER BY id", shape: .ids)
        default:
            let day = CustomerGenerator.day(ago: r.pick([-30, -7, 0, 1, 30, 90]))
            let (rc, sc) = r.pick([("nextContactDue <= today", "due <= julianday('\(today)')"),
                                   ("nextContactDue > \(day)", "due > julianday('\(day)')"),
                                   ("nextContactDue is null", "due IS NULL"),
                                   ("nextContactDue <= today and grade = A", "due <= julianday('\(today)') AND upper(grade) = 'A'")])
            return GeneratedQuery(rapport: "find customers where \(rc) show id", sql: "SELECT id FROM cu WHERE coalesce(\(sc), 0) ORDER BY id", shape: .ids)
        }
    }

    /// Loads the exported CSV files into sqlite3 (empty cells as NULL) and runs every query.
    static func oracle(exports: [String: String], queries: [GeneratedQuery], directory: URL) throws -> [[[Cell]]] {
        let numeric: Set<String> = ["score", "nps", "amount", "totalSpent", "purchaseCount", "points", "satisfaction"]
        var script = ""
        for (table, path) in exports.sorted(by: { $0.key < $1.key }) {
            let header = (try String(contentsOfFile: path, encoding: .utf8)).split(whereSeparator: \.isNewline).first.map { $0.split(separator: ",").map(String.init) } ?? []
            script += "CREATE TABLE \(table) (\(header.map { "\"\($0)\" \(numeric.contains($0) ? "REAL" : "TEXT")" }.joined(separator: ", ")));\n"
            script += ".import --csv --skip 1 '\(path)' \(table)\n"
            script += header.map { "UPDATE \(table) SET \"\($0)\" = NULL WHERE \"\($0)\" = '';\n" }.joined()
        }
        script += ticketView + "\n" + customerView + "\n"
        script += ".mode list\n.separator \"\(SQLiteOracle.separator)\"\n.nullvalue \"\(SQLiteOracle.nullMark)\"\n"
        for (index, query) in queries.enumerated() { script += "SELECT '@@\(index)';\n\(query.sql);\n" }
        let output = try SQLiteOracle.run(script, file: directory.appendingPathComponent("service-oracle.sql"))
        var answers = [[[Cell]]](repeating: [], count: queries.count)
        var current = -1
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("@@"), let n = Int(line.dropFirst(2)) { current = n; continue }
            guard current >= 0 else { continue }
            let kinds: [ColumnKind]
            switch queries[current].shape {
            case .ids: kinds = [.text]
            case .aggregate(let columns): kinds = columns
            }
            answers[current].append(zip(line.components(separatedBy: SQLiteOracle.separator), kinds).map { text, kind in
                if text == SQLiteOracle.nullMark { return .null }
                if kind == .number, let n = Double(text) { return .number(n) }
                return .text(text)
            })
        }
        return answers
    }
}
