import Foundation
import RapportCore

/// Checked queries as parameterised SQL, matching the in-memory executor's semantics
/// (Store/QueryExecutor.swift): text equality ignoring case, ordering by code point
/// (COLLATE "C"), a missing value failing every test but `is null` (also under `not`),
/// nulls last in either direction, ties by id. What is not translated yet throws
/// `notYetOnPostgres`, checked before anything runs (`PostgresBackend.checkSupported`).
struct SQLTranslation {
    /// The values, `$1` onwards, as text.
    private(set) var parameters: [String?] = []

    static func table(_ entity: Entity) -> String { quoted(entity.rawValue) }
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Adds a value; its placeholder.
    mutating func parameter(_ text: String?) -> String {
        parameters.append(text)
        return "$\(parameters.count)"
    }

    static func unsupported(_ what: String) -> Diagnostic { Diagnostic.runtime(.notYetOnPostgres, what) }

    // MARK: Conditions

    mutating func condition(_ p: RapportCore.Predicate) throws -> String {
        switch p {
        case .and(let a, let b): return "(\(try condition(a)) AND \(try condition(b)))"
        case .or(let a, let b): return "(\(try condition(a)) OR \(try condition(b)))"
        // A missing value fails a test either way: NULL made false before NOT turns it.
        case .not(let a): return "NOT COALESCE(\(try condition(a)), false)"
        case .isNull(let f, let negated):
            return "\(try column(f)) IS \(negated ? "NOT " : "")NULL"
        case .compareKey(let f, let op, let k):
            return "\(try column(f)) \(Self.sql(op)) \(try key(k, for: f))"
        case .memberKey(let f, let keys, let negated):
            guard !keys.isEmpty else { return negated ? "\(try column(f)) IS NOT NULL" : "false" }
            let list = try keys.map { try key($0, for: f) }.joined(separator: ", ")
            return "\(try column(f)) \(negated ? "NOT IN" : "IN") (\(list))"
        case .betweenKey(let f, let low, let high, let negated):
            return "\(try column(f)) \(negated ? "NOT BETWEEN" : "BETWEEN") \(try key(low, for: f)) AND \(try key(high, for: f))"
        case .compareString(let f, let op, let s):
            let c = try column(f, type: .string)
            switch op {
            case .equal, .notEqual: return "lower(\(c)) \(Self.sql(op)) lower(\(parameter(s)))"
            default: return "\(c) COLLATE \"C\" \(Self.sql(op)) \(parameter(s))"
            }
        case .memberString(let f, let values, let negated):
            let c = try column(f, type: .string)
            guard !values.isEmpty else { return negated ? "\(c) IS NOT NULL" : "false" }
            let list = values.map { "lower(\(parameter($0)))" }.joined(separator: ", ")
            return "lower(\(c)) \(negated ? "NOT IN" : "IN") (\(list))"
        case .betweenString(let f, let low, let high, let negated):
            let c = try column(f, type: .string)
            return "\(c) COLLATE \"C\" \(negated ? "NOT BETWEEN" : "BETWEEN") \(parameter(low)) AND \(parameter(high))"
        case .text(let f, let op, let s, let negated):
            let c = "lower(\(try column(f, type: .string)))", needle = "lower(\(parameter(s)))"
            let test: String
            switch op {
            case .contains: test = "strpos(\(c), \(needle)) > 0"
            case .startsWith: test = "starts_with(\(c), \(needle))"
            case .endsWith: test = "right(\(c), char_length(\(needle))) = \(needle)"
            }
            return negated ? "NOT (\(test))" : test
        case .has(let f, let mode, let values, let negated):
            let c = try column(f, type: .list)
            let items = "ARRAY(SELECT lower(i) FROM unnest(\(c)) i)"
            let wanted = "ARRAY(SELECT lower(w) FROM unnest(\(parameter(Self.arrayLiteral(values)))::text[]) w)"
            let test = mode == .all ? "\(items) @> \(wanted)" : "\(items) && \(wanted)"
            // An empty or missing list matches neither way, as in the store.
            return "(cardinality(\(c)) > 0 AND \(negated ? "NOT " : "")(\(test)))"
        case .within: throw Self.unsupported("'within'")
        case .compareValues: throw Self.unsupported("an expression in a condition")
        case .compareFields: throw Self.unsupported("comparing two fields")
        case .relation: throw Self.unsupported("a relation ('has N contacts' and the like)")
        case .ofCustomer: throw Self.unsupported("a customer's field in a condition (customer.FIELD)")
        }
    }

    /// A stored field's column; a derived field is not translated yet.
    func column(_ f: ResolvedField, type: FieldType? = nil) throws -> String {
        if f.isDerived { throw Self.unsupported("the derived field '\(f.name)'") }
        if let type, f.type != type { throw Self.unsupported("this test on the \(f.type.rawValue) field '\(f.name)'") }
        return Self.quoted(f.name)
    }

    /// A comparison key as a value of the field's column type.
    private mutating func key(_ k: Double, for f: ResolvedField) throws -> String {
        switch f.type {
        case .integer, .number: return "\(parameter(Self.number(k)))::float8"
        case .date:
            // Whole days compare as dates, so an index on the column serves.
            if k == k.rounded(.down), abs(k) < 10_000_000 { return "(date '1970-01-01' + \(parameter(String(Int(k))))::int)" }
            throw Self.unsupported("a fractional day bound on '\(f.name)'")
        case .instant: return "to_timestamp(\(parameter(Self.number(k)))::float8)"
        case .boolean: return k == 0 ? "false" : k == 1 ? "true" : "NULL"
        case .string, .list: throw Self.unsupported("this comparison on the \(f.type.rawValue) field '\(f.name)'")
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded(.down) && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }

    static func sql(_ op: ComparisonOperator) -> String {
        switch op {
        case .equal: return "="
        case .notEqual: return "<>"
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        }
    }

    /// A text[] literal: every item double-quoted, `"` and `\` escaped.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    // MARK: Reading values

    /// The select-list expression that reads a field as text `value(_:_:)` parses.
    static func reader(_ f: Field) -> String {
        let c = quoted(f.name)
        switch f.type {
        case .date: return "(\(c) - date '1970-01-01')"
        case .instant: return "extract(epoch from \(c))::bigint"
        case .list: return "array_to_json(\(c))::text"
        case .number: return "\(c)::float8"
        case .string, .integer, .boolean: return c
        }
    }

    static func value(_ text: String?, _ type: FieldType) -> Value {
        guard let text else { return .null }
        switch type {
        case .string: return .string(text)
        case .integer: return Int64(text).map(Value.integer) ?? .null
        case .number: return Double(text).map(Value.number) ?? .null
        case .date: return Int32(text).map { .date(Day(daysSinceEpoch: $0)) } ?? .null
        case .instant: return Int64(text).map(Value.instant) ?? .null
        case .boolean: return .boolean(text == "t")
        case .list:
            guard let items = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else { return .null }
            return .list(items)
        }
    }

    /// A value as the parameter text its column type reads, with the cast to write beside it.
    static func parameterText(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return "\(d)"
        case .date(let d): return String(d.daysSinceEpoch)
        case .instant(let t): return String(t)
        case .boolean(let b): return b ? "true" : "false"
        case .list(let items): return items.isEmpty ? nil : arrayLiteral(items)
        }
    }

    /// The SQL that turns the parameter text of `parameterText` into a value of the column.
    static func written(_ placeholder: String, _ type: FieldType) -> String {
        switch type {
        case .string: return "\(placeholder)::text"
        case .integer: return "\(placeholder)::bigint"
        case .number: return "\(placeholder)::float8"
        case .date: return "(date '1970-01-01' + \(placeholder)::int)"
        case .instant: return "to_timestamp(\(placeholder)::bigint)"
        case .boolean: return "\(placeholder)::boolean"
        case .list: return "\(placeholder)::text[]"
        }
    }

    static func columnType(_ type: FieldType) -> String {
        switch type {
        case .string: return "text"
        case .integer: return "bigint"
        case .number: return "double precision"
        case .date: return "date"
        case .instant: return "timestamptz"
        case .boolean: return "boolean"
        case .list: return "text[]"
        }
    }
}
