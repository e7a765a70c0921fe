import Foundation

/// How a trainee's result differs from the expected one (docs/training.md, "Checks"):
/// rows by id when both results have an id column, else by their values in the expected
/// columns; order counts only when the expected query sorts with a limit.
struct ResultComparison {
    enum Difference {
        /// Rows that should not be there (ids or row texts), and how many rows each side has.
        case tooMany(extra: [[Value]], found: Int, expected: Int)
        case tooFew(missing: [[Value]], found: Int, expected: Int)
        case both(extra: [[Value]], missing: [[Value]], found: Int, expected: Int)
        case missingColumn(String)
        case order(found: Int)
    }

    static func idColumn(_ r: ResultSet) -> Int? { r.columns.firstIndex { $0.lowercased() == "id" } }

    static func compare(trainee: ResultSet, expected: ResultSet, ordered: Bool) -> Difference? {
        let keysOfTrainee: [Value]
        let keysExpected: [Value]
        var rowOf: [Value: [Value]] = [:]
        if let a = idColumn(trainee), let b = idColumn(expected) {
            keysOfTrainee = trainee.rows.map { $0[a] }
            keysExpected = expected.rows.map { $0[b] }
            for row in trainee.rows { rowOf[row[a]] = row }
            for row in expected.rows { rowOf[row[b]] = row }
        } else {
            // Project the trainee's rows on the expected columns, by name, else by position.
            var positions: [Int] = []
            for (i, name) in expected.columns.enumerated() {
                if let p = trainee.columns.firstIndex(where: { $0.lowercased() == name.lowercased() }) {
                    positions.append(p)
                } else if trainee.columns.count == expected.columns.count {
                    positions.append(i)
                } else {
                    return .missingColumn(name)
                }
            }
            keysOfTrainee = trainee.rows.map { row in .list(positions.map { text(row[$0]) }) }
            keysExpected = expected.rows.map { .list($0.map(text)) }
            for (k, row) in zip(keysOfTrainee, trainee.rows) { rowOf[k] = row }
            for (k, row) in zip(keysExpected, expected.rows) { rowOf[k] = row }
        }
        var counts: [Value: Int] = [:]
        for k in keysExpected { counts[k, default: 0] += 1 }
        var extra: [Value] = []
        for k in keysOfTrainee {
            if let c = counts[k], c > 0 { counts[k] = c - 1 } else { extra.append(k) }
        }
        var missing: [Value] = []
        var remaining = counts
        for k in keysExpected where (remaining[k] ?? 0) > 0 {
            missing.append(k)
            remaining[k]! -= 1
        }
        let found = keysOfTrainee.count, wanted = keysExpected.count
        let extraRows = extra.map { rowOf[$0]! }, missingRows = missing.map { rowOf[$0]! }
        switch (extra.isEmpty, missing.isEmpty) {
        case (false, true): return .tooMany(extra: extraRows, found: found, expected: wanted)
        case (true, false): return .tooFew(missing: missingRows, found: found, expected: wanted)
        case (false, false): return .both(extra: extraRows, missing: missingRows, found: found, expected: wanted)
        case (true, true):
            if ordered, keysOfTrainee != keysExpected { return .order(found: found) }
            return nil
        }
    }

    private static func text(_ v: Value) -> String {
        ValueFormatter(timeZone: TimeZone(identifier: "UTC")!).text(v)
    }
}

/// The conditions a record fails: which atom of a query's top-level `and` leaves it out.
enum ConditionAtoms {
    /// The atoms of a condition's top-level `and`.
    static func conjuncts(_ c: Condition) -> [Condition] {
        if case .and(let a, let b) = c { return conjuncts(a) + conjuncts(b) }
        return [c]
    }

    /// The field an atom tests, when it tests one field.
    static func field(of atom: Condition) -> String? {
        switch atom {
        case .compare(let f, _, _), .member(let f, _, _), .between(let f, _, _, _), .text(let f, _, _, _),
             .has(let f, _, _, _), .isNull(let f, _), .within(let f, _, _), .isTrue(let f):
            return f.name
        case .not(let inner): return field(of: inner)
        default: return nil
        }
    }

    /// Every field a condition names anywhere.
    static func fields(in c: Condition) -> Set<String> {
        switch c {
        case .and(let a, let b), .or(let a, let b): return fields(in: a).union(fields(in: b))
        case .not(let a): return fields(in: a)
        default: return field(of: c).map { [$0.lowercased()] } ?? []
        }
    }

    /// The first atom of `condition` that record `id` fails, on `session`'s store.
    static func failing(_ condition: Condition, entity: EntityName, id: String, session: Session) -> Condition? {
        let span = entity.span
        let isRecord = Condition.compare(FieldName("id", span: span), .equal,
                                         Literal(kind: .string(id, quoted: true), span: span, text: "\"\(id)\""))
        let backend = session.backend
        for atom in conjuncts(condition) {
            var q = FindQuery(entity: entity)
            q.condition = .and(isRecord, atom)
            let checker = Checker(schema: backend.schema(of: entity.entity), clock: session.clock, schemas: backend.schema(of:))
            guard let checked = try? checker.check(q) else { continue }
            if backend.count(matching: checked, clock: session.clock) == 0 { return atom }
        }
        return nil
    }

    /// A record's value of one field (stored or derived), as text.
    static func value(of field: String, entity: Entity, id: String, session: Session) -> String {
        let escaped = id.replacingOccurrences(of: "\"", with: "\\\"")
        let outcome = session.run("find \(entity.rawValue) where id = \"\(escaped)\" show \(field)")
        guard let row = outcome.result?.rows.first, let value = row.first else { return "?" }
        if value.isNull { return "empty" }
        return ValueFormatter(timeZone: session.clock.timeZone).text(value)
    }
}
