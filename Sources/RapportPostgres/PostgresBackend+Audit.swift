import Foundation
import RapportCore

/// The audit trail as entity `audit` on PostgreSQL (docs/postgres.md "The audit entity"):
/// the rows of `rapport_audit` read back into the store's audit rows (one per field a
/// change set changed, as `AuditTrail.Writer` writes them: record changes in schema order,
/// then policy keys, then a bulk import's summary, then segments), held in an in-memory
/// table, and the queries on `audit` answered there by the embedded engine itself, so they
/// answer as on a store. Read on the first query that names `audit`; later ones read only
/// the change sets committed since.
extension PostgresBackend {
    public func loadAuditTrail() throws {
        let trail = auditTrail ?? (store: Store(), through: 0)
        let read = try connection.execute("""
            SELECT seq, at, "user", role, command, changes FROM rapport_audit WHERE seq > $1::bigint ORDER BY seq
            """, [String(trail.through)], failure: .postgresReadFailed)
        let table = trail.store[.audit]
        var through = trail.through
        for row in read {
            guard let seq = row[0].flatMap({ Int64($0) }), let at = row[1].flatMap({ Int64($0) }) else { continue }
            appendAuditRows(seq: seq, at: at, user: row[2] ?? "", role: row[3], command: row[4] ?? "", changes: row[5] ?? "[]", to: table)
            through = seq
        }
        auditTrail = (trail.store, through)
        auditEngine = auditEngine ?? InMemoryBackend(store: trail.store)
    }

    /// One change set's rows, in `AuditTrail.Writer`'s order.
    private func appendAuditRows(seq: Int64, at: Int64, user: String, role: String?, command: String, changes: String, to table: Table) {
        let formatter = ValueFormatter(timeZone: TimeZone(identifier: "UTC")!)
        var number = 0
        func row(_ entity: String?, _ record: String?, _ field: String?, _ before: String?, _ after: String?) {
            number += 1
            func text(_ s: String?) -> Value { s.map(Value.string) ?? .null }
            _ = table.append([.string("\(seq).\(number)"), .integer(seq), .instant(at), .string(user), text(role), .string(command),
                              text(entity), text(record), text(field), text(before), text(after)])
        }
        let objects = (try? JSONSerialization.jsonObject(with: Data(changes.utf8))) as? [[String: Any]] ?? []
        for object in objects where object["kind"] as? String == "insert" || object["kind"] as? String == "update" || object["kind"] as? String == "delete" {
            guard let entity = (object["entity"] as? String).flatMap(Entity.init(rawValue:)), let id = object["id"] as? String else { continue }
            let schema = schema(of: entity)
            let isDelete = object["kind"] as? String == "delete"
            let before = object["before"] as? [String: Any] ?? [:]
            let after = object["after"] as? [String: Any] ?? [:]
            let changed = isDelete ? before : after
            func text(_ side: [String: Any], _ name: String, _ type: FieldType?) -> String? {
                guard let raw = side[name], !(raw is NSNull) else { return nil }
                let value = Self.auditValue(raw, type)
                return value.isNull ? nil : formatter.text(value)
            }
            let rowsBefore = number
            func fieldRow(_ name: String, _ type: FieldType?) {
                row(entity.rawValue, id, name, object["kind"] as? String == "insert" ? nil : text(before, name, type),
                    isDelete ? nil : text(after, name, type))
            }
            let names = schema.fields.map(\.name).filter { $0 != RecordField.id }
            for name in names where changed[name] != nil { fieldRow(name, schema.field(named: name)?.type) }
            // Names outside the schema (rare): after the schema's, by name.
            for name in changed.keys.filter({ schema.field(named: $0) == nil && $0 != RecordField.id }).sorted() { fieldRow(name, nil) }
            if number == rowsBefore { row(entity.rawValue, id, nil, nil, nil) }
        }
        for object in objects where object["kind"] as? String == "policy" {
            func number(_ key: String) -> String? { (object[key] as? NSNumber).map { ValueFormatter.number($0.doubleValue) } }
            row("policy", object["key"] as? String, "value", number("before"), number("after"))
        }
        for object in objects where object["kind"] as? String == "import" {
            let file = object["file"] as? String ?? ""
            let summary = ImportSummary(source: ImportSource(file: file, sha256: object["sha256"] as? String ?? ""), added: [])
            for added in object["added"] as? [[String: Any]] ?? [] {
                guard let entity = (added["entity"] as? String).flatMap(Entity.init(rawValue:)) else { continue }
                let count = (added["count"] as? NSNumber)?.intValue ?? 0
                // Worded by the store's own `ImportSummary.line`, so both trails say the same.
                row(entity.rawValue, file, "import", nil,
                    summary.line(ImportSummary.Added(entity: entity, count: count, ids: added["ids"] as? [String] ?? [])))
            }
        }
        for object in objects where object["kind"] as? String == "segment" {
            func condition(_ side: Any?) -> String? {
                guard let segment = side as? [String: Any], let entity = segment["entity"] as? String, let condition = segment["condition"] as? String else { return nil }
                return "\(entity) where \(condition)"
            }
            row("segments", object["name"] as? String, "condition", condition(object["before"]), condition(object["after"]))
        }
        if number == 0 { row(nil, nil, nil, nil, nil) }
    }

    /// A value as `AuditEntry` wrote it, read back by the field's type (an instant and an
    /// integer are both JSON integers); a field the schema lacks as JSON gives it.
    private static func auditValue(_ raw: Any, _ type: FieldType?) -> Value {
        switch (type, raw) {
        case (.date?, let s as String): return Day(iso: s).map(Value.date) ?? .string(s)
        case (.instant?, let n as NSNumber): return .instant(n.int64Value)
        case (.number?, let n as NSNumber): return .number(n.doubleValue)
        case (.integer?, let n as NSNumber): return .integer(n.int64Value)
        case (.boolean?, let b as Bool): return .boolean(b)
        case (_, let items as [String]): return .list(items)
        case (_, let s as String): return .string(s)
        case (_, let b as Bool) where type == nil: return .boolean(b)
        case (_, let n as NSNumber): return n.doubleValue == n.doubleValue.rounded() && abs(n.doubleValue) < 9e15 ? .integer(n.int64Value) : .number(n.doubleValue)
        default: return .null
        }
    }
}
