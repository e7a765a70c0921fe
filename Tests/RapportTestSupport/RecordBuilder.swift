import Foundation
import RapportCore

/// Customers, contacts and purchases for a test, given by the fields that matter to it;
/// every other field is null. The same records become an in-memory store (for tests in
/// process) or JSON Lines (for an import through the binary).
public final class RecordBuilder {
    public static let defaultNow = "2026-11-24"
    public static let utc = TimeZone(identifier: "UTC")!

    private var records: [(entity: Entity, fields: [(String, Value)])] = []

    public init() {}

    @discardableResult
    public func customer(_ id: String, _ fields: [String: Value] = [:]) -> RecordBuilder {
        add(.customers, [("id", .string(id))] + Self.sorted(fields))
    }

    @discardableResult
    public func contact(_ id: String, customer: String, date: String = RecordBuilder.defaultNow,
                        _ fields: [String: Value] = [:]) -> RecordBuilder {
        add(.contacts, [("id", .string(id)), ("customer", .string(customer)), ("date", .date(Day(iso: date)!))] + Self.sorted(fields))
    }

    @discardableResult
    public func purchase(_ id: String, customer: String, amount: Double, date: String = RecordBuilder.defaultNow,
                         _ fields: [String: Value] = [:]) -> RecordBuilder {
        add(.purchases, [("id", .string(id)), ("customer", .string(customer)), ("amount", .number(amount)),
                         ("date", .date(Day(iso: date)!))] + Self.sorted(fields))
    }

    /// The records in a new store, as they are given (derived customer fields are not
    /// recomputed: a test sets them where it needs them).
    public func store() -> Store {
        let store = Store()
        for record in records {
            let table = store[record.entity]
            var row = [Value](repeating: .null, count: table.schema.fields.count)
            for (name, value) in record.fields {
                guard let position = table.schema.position(of: name) else { preconditionFailure("no field \(name) in \(record.entity)") }
                row[position] = value
            }
            table.append(row)
        }
        return store
    }

    /// A session on `store()` with its clock pinned at `now` in UTC.
    public func session(now: String = RecordBuilder.defaultNow) -> Session {
        let instant = Clock.parseInstant(now, timeZone: Self.utc)!
        return Session(backend: InMemoryBackend(database: .inMemory(store())), settings: Settings(user: "test"),
                       clock: Clock(now: instant, timeZone: Self.utc), pinnedNow: instant)
    }

    /// The records of `entity` as JSON Lines, ready for `import ENTITY from "FILE.jsonl"`.
    public func jsonLines(_ entity: Entity) -> String {
        records.filter { $0.entity == entity }
            .map { "{" + $0.fields.map { "\(JSONText.quoted($0.0)): \(Self.json($0.1))" }.joined(separator: ", ") + "}\n" }
            .joined()
    }

    private func add(_ entity: Entity, _ fields: [(String, Value)]) -> RecordBuilder {
        records.append((entity, fields))
        return self
    }

    private static func sorted(_ fields: [String: Value]) -> [(String, Value)] {
        fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private static func json(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .string(let s): return JSONText.quoted(s)
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .date(let day): return JSONText.quoted(day.description)
        case .instant(let t): return String(t)
        case .list(let items): return "[" + items.map(JSONText.quoted).joined(separator: ", ") + "]"
        }
    }
}
