/// Checks a parsed query against an entity's schema: resolves field names (suggesting
/// the nearest on a typo), checks each operator against the field's type and converts
/// values, so that evaluation cannot fail.
public struct Checker {
    public let schema: EntitySchema
    public let clock: Clock

    public init(schema: EntitySchema, clock: Clock) {
        self.schema = schema
        self.clock = clock
    }

    public func resolve(_ name: FieldName) throws -> ResolvedField {
        guard let p = schema.position(of: name.name) else {
            if let derived = Checker.derivedFields(of: schema).first(where: { $0.name.lowercased() == name.name.lowercased() }) {
                return derived
            }
            throw Diagnostic.usage("unknown field '\(name.name)'", at: name.span,
                                   suggestion: nearestName(to: name.name, among: schema.fields.map(\.name) + DerivedFields.of(schema.entity).map(\.name)))
        }
        let f = schema.fields[p]
        return ResolvedField(position: p, name: f.name, type: f.type)
    }

    /// The entity's derived fields as resolved fields, placed after the stored ones.
    public static func derivedFields(of schema: EntitySchema) -> [ResolvedField] {
        DerivedFields.of(schema.entity).enumerated().map {
            ResolvedField(position: schema.fields.count + $0.offset, name: $0.element.name, type: $0.element.type, isDerived: true)
        }
    }

    // MARK: Queries

    public func check(_ q: FindQuery) throws -> CheckedFind {
        var warnings: [Diagnostic] = []
        let predicate = try q.condition.map { try check($0, warnings: &warnings) }
        var sort: [(ResolvedField, Bool)] = []
        for key in q.sort {
            let f = try resolve(key.field)
            if f.type == .list {
                throw Diagnostic.usage("cannot sort by the list field '\(f.name)'", at: key.field.span)
            }
            sort.append((f, key.descending))
        }
        let shown: [ResolvedField]
        if q.showAll {
            shown = schema.fields.enumerated().map { ResolvedField(position: $0.offset, name: $0.element.name, type: $0.element.type) }
                + Checker.derivedFields(of: schema)
        } else if let show = q.show {
            // `show name, NAME` names one field twice: one column, so no format repeats a key.
            var seen = Set<Int>()
            shown = try show.map(resolve).filter { seen.insert($0.position).inserted }
        } else {
            shown = q.entity.entity.defaultShownFields.compactMap { name in
                schema.position(of: name).map { ResolvedField(position: $0, name: schema.fields[$0].name, type: schema.fields[$0].type) }
            }
        }
        return CheckedFind(entity: q.entity.entity, predicate: predicate, sort: sort,
                           limit: q.limit, offset: q.offset ?? 0, shown: shown, warnings: warnings)
    }

    public func check(_ q: AggregateQuery) throws -> CheckedAggregate {
        var field: ResolvedField?
        if let name = q.field {
            let f = try resolve(name)
            switch q.function {
            case .sum, .avg:
                guard f.type.isNumeric else {
                    throw Diagnostic.usage("\(q.function.rawValue) needs a numeric field; '\(f.name)' is a \(f.type.rawValue)", at: name.span)
                }
            case .min, .max:
                guard f.type != .list, f.type != .boolean else {
                    throw Diagnostic.usage("\(q.function.rawValue) cannot take the \(f.type.rawValue) field '\(f.name)'", at: name.span)
                }
            case .count: break
            }
            field = f
        }
        var warnings: [Diagnostic] = []
        let predicate = try q.condition.map { try check($0, warnings: &warnings) }
        return CheckedAggregate(function: q.function, field: field, entity: q.entity.entity,
                                predicate: predicate, groupBy: try q.groupBy.map(resolve), warnings: warnings)
    }

    // MARK: Conditions

    /// Checks a condition, dropping any warnings.
    public func check(_ c: Condition) throws -> Predicate {
        var warnings: [Diagnostic] = []
        return try check(c, warnings: &warnings)
    }

    public func check(_ c: Condition, warnings: inout [Diagnostic]) throws -> Predicate {
        // The recursion stays in this small frame (a chain may be 1000 deep); the large
        // switch over the operators runs once per leaf.
        switch c {
        case .and(let a, let b): return .and(try check(a, warnings: &warnings), try check(b, warnings: &warnings))
        case .or(let a, let b): return .or(try check(a, warnings: &warnings), try check(b, warnings: &warnings))
        case .not(let a): return .not(try check(a, warnings: &warnings))
        default: return try checkTest(c, warnings: &warnings)
        }
    }

    /// One test of a field: the leaves of a condition.
    private func checkTest(_ c: Condition, warnings: inout [Diagnostic]) throws -> Predicate {
        switch c {
        case .and, .or, .not: return try check(c, warnings: &warnings)
        case .isNull(let name, let negated): return .isNull(try resolve(name), negated: negated)
        case .isTrue(let name):
            let f = try resolve(name)
            guard f.type == .boolean else {
                throw Diagnostic(.usage, "'\(f.name)' is a \(f.type.rawValue) field, not true or false; a condition on it needs an operator",
                                 at: name.span, notes: ["for example: \(name.name) \(f.type == .list ? "has" : "=") VALUE"])
            }
            return .compareKey(f, .equal, 1)
        case .compare(let name, let op, let value):
            let f = try resolve(name)
            if case .null = value.kind {
                throw Diagnostic.usage("compare with null using 'is null' or 'is not null'", at: value.span)
            }
            switch f.type {
            case .string:
                if op == .equal || op == .notEqual {
                    return .compareString(f, op, try word(value, for: f, warnings: &warnings))
                }
                return .compareString(f, op, try string(value, for: f))
            case .list:
                throw Diagnostic(.usage, "'\(f.name)' is a list; use 'has'", at: name.span,
                                 notes: ["for example: \(f.name) has vip"])
            case .date, .instant:
                if case .duration(let days) = value.kind { return ageComparison(f, op, days) }
                if f.type == .instant, let day = dayValue(value) { return instantAgainstDay(f, op, day) }
                return .compareKey(f, op, try key(value, for: f))
            default:
                return .compareKey(f, op, try key(value, for: f))
            }
        case .member(let name, let values, let negated):
            let f = try resolve(name)
            switch f.type {
            case .string: return .memberString(f, try values.map { try word($0, for: f, warnings: &warnings) }, negated: negated)
            case .list:
                throw Diagnostic(.usage, "'\(f.name)' is a list; use 'has any'", at: name.span)
            default:
                return .memberKey(f, try values.map { try key($0, for: f) }, negated: negated)
            }
        case .between(let name, let low, let high, let negated):
            let f = try resolve(name)
            switch f.type {
            case .string: return .betweenString(f, try string(low, for: f), try string(high, for: f), negated: negated)
            case .list: throw Diagnostic.usage("'\(f.name)' is a list; 'between' needs a single value", at: name.span)
            case .date, .instant:
                if case .duration(let a) = low.kind, case .duration(let b) = high.kind {
                    // An age between a and b days: the date lies between today-b and today-a.
                    let inside = Predicate.and(ageComparison(f, .greaterOrEqual, a), ageComparison(f, .lessOrEqual, b))
                    return negated ? .and(.isNull(f, negated: true), .not(inside)) : inside
                }
                if f.type == .instant, let a = dayValue(low), let b = dayValue(high) {
                    let inside = Predicate.and(instantAgainstDay(f, .greaterOrEqual, a), instantAgainstDay(f, .lessOrEqual, b))
                    return negated ? .and(.isNull(f, negated: true), .not(inside)) : inside
                }
                return .betweenKey(f, try key(low, for: f), try key(high, for: f), negated: negated)
            default:
                return .betweenKey(f, try key(low, for: f), try key(high, for: f), negated: negated)
            }
        case .text(let name, let op, let value, let negated):
            let f = try resolve(name)
            guard f.type == .string else {
                if f.type == .list {
                    throw Diagnostic(.usage, "'\(op.rawValue)' works on text; '\(f.name)' is a list", at: name.span,
                                     notes: ["use: \(f.name) has VALUE"])
                }
                throw Diagnostic.usage("'\(op.rawValue)' works on text; '\(f.name)' is a \(f.type.rawValue)", at: name.span)
            }
            return .text(f, op, try string(value, for: f), negated: negated)
        case .has(let name, let mode, let values, let negated):
            let f = try resolve(name)
            guard f.type == .list else {
                throw Diagnostic(.usage, "'has' works on lists; '\(f.name)' is a \(f.type.rawValue)", at: name.span,
                                 notes: ["use: \(f.name) = VALUE"])
            }
            return .has(f, mode, try values.map { try string($0, for: f) }, negated: negated)
        case .within(let name, let value, let keyword):
            let f = try resolve(name)
            if f.type.isTemporal, f.isDerived || (!schema.fields[f.position].isCustom && !Checker.allowsWithin(schema.fields[f.position], of: schema.entity)) {
                let duration: String
                if case .duration = value.kind { duration = value.text } else { duration = "30d" }
                throw Diagnostic(.usage, "'within' means a yearly anniversary, as for birthdays; '\(f.name)' does not recur each year",
                                 at: keyword, suggestion: "\(name.name) <= \(duration)",
                                 notes: ["\(name.name) <= \(duration) holds where it was at most \(duration) ago"])
            }
            guard f.type == .date else {
                throw Diagnostic.usage("'within' works on dates; '\(f.name)' is a \(f.type.rawValue)", at: name.span)
            }
            guard case .duration(let days) = value.kind else {
                throw Diagnostic(.usage, "'within' needs a duration, found '\(value.text)'", at: value.span,
                                 notes: ["for example: \(f.name) within 7d"])
            }
            return .within(f, days: days)
        }
    }

    /// The built-in dates that recur each year, where `within` makes sense. Custom date
    /// fields are the user's to judge; every other built-in date is a past event.
    static let yearlyFields: [Entity: Set<String>] = [.customers: ["birthday", "createdAt"]]

    /// Whether `within` (a yearly recurrence) makes sense on a field.
    public static func allowsWithin(_ field: Field, of entity: Entity) -> Bool {
        field.type == .date && (field.isCustom || yearlyFields[entity]?.contains(field.name) == true)
    }

    /// The text of a value compared for equality with a string field. On a field with a
    /// vocabulary an alias becomes its word (`call` is `phone`); a word outside it still
    /// runs (old stores may hold other words) but earns a warning.
    func word(_ v: Literal, for f: ResolvedField, warnings: inout [Diagnostic]) throws -> String {
        let text = try string(v, for: f)
        guard !f.isDerived, !schema.fields[f.position].isCustom, let vocabulary = Vocabulary.of(f.name, in: schema.entity) else { return text }
        if let canonical = vocabulary.canonical(text) { return canonical }
        var warning = Diagnostic(.warning, "'\(text)' is not a \(f.name)", at: v.span,
                                 suggestion: nearestName(to: text, among: vocabulary.words))
        warning.notes = ["\(f.name) is one of: \(vocabulary.words.joined(separator: ", "))"]
        warnings.append(warning)
        return text
    }

    /// `field op duration`: the field's age (today minus the date, in days) compared
    /// with the duration, as a bound on the field's key.
    private func ageComparison(_ f: ResolvedField, _ op: ComparisonOperator, _ days: Double) -> Predicate {
        let bound: Double
        if f.type == .instant {
            bound = Double(clock.now) - days * 86400
        } else {
            bound = Double(clock.today.daysSinceEpoch) - days
        }
        // age > n  <=>  date < today - n, and so on: the order flips.
        let flipped: ComparisonOperator
        switch op {
        case .equal: flipped = .equal
        case .notEqual: flipped = .notEqual
        case .less: flipped = .greater
        case .lessOrEqual: flipped = .greaterOrEqual
        case .greater: flipped = .less
        case .greaterOrEqual: flipped = .lessOrEqual
        }
        return .compareKey(f, flipped, bound)
    }

    /// An instant against a calendar date: the date stands for its whole day in the zone.
    private func instantAgainstDay(_ f: ResolvedField, _ op: ComparisonOperator, _ day: Day) -> Predicate {
        let start = Double(clock.startOfDay(day))
        let next = Double(clock.startOfDay(day.adding(days: 1)))
        switch op {
        case .equal: return .and(.compareKey(f, .greaterOrEqual, start), .compareKey(f, .less, next))
        case .notEqual: return .or(.compareKey(f, .less, start), .compareKey(f, .greaterOrEqual, next))
        case .less: return .compareKey(f, .less, start)
        case .lessOrEqual: return .compareKey(f, .less, next)
        case .greater: return .compareKey(f, .greaterOrEqual, next)
        case .greaterOrEqual: return .compareKey(f, .greaterOrEqual, start)
        }
    }

    private func dayValue(_ v: Literal) -> Day? {
        switch v.kind {
        case .date(let d): return d
        case .relativeDay(let k): return clock.today.adding(days: k)
        case .string(let s, _): return Day(iso: s)
        default: return nil
        }
    }

    private func mismatch(_ v: Literal, _ f: ResolvedField) -> Diagnostic {
        let expected: String
        switch f.type {
        case .integer, .number: expected = "a number"
        case .date: expected = "a date (YYYY-MM-DD, today) or a duration (90d)"
        case .instant: expected = "a date or a duration"
        case .boolean: expected = "true or false"
        case .string, .list: expected = "text"
        }
        return Diagnostic.usage("'\(f.name)' is a \(f.type.rawValue) field; expected \(expected), found '\(v.text)'", at: v.span)
    }

    /// The comparison key of a value for a numeric, temporal or boolean field.
    func key(_ v: Literal, for f: ResolvedField) throws -> Double {
        switch f.type {
        case .integer, .number:
            switch v.kind {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            default: throw mismatch(v, f)
            }
        case .date:
            guard let d = dayValue(v) else { throw mismatch(v, f) }
            return Double(d.daysSinceEpoch)
        case .instant:
            if let d = dayValue(v) { return Double(clock.startOfDay(d)) }
            if case .string(let s, _) = v.kind, let t = Clock.parseISO8601(s, defaultZone: clock.timeZone) { return Double(t) }
            throw mismatch(v, f)
        case .boolean:
            if case .boolean(let b) = v.kind { return b ? 1 : 0 }
            throw mismatch(v, f)
        case .string, .list:
            throw mismatch(v, f)
        }
    }

    /// The text of a value for a string or list field; bare words and numbers count.
    func string(_ v: Literal, for f: ResolvedField) throws -> String {
        switch v.kind {
        case .string(let s, _): return s
        case .integer, .number, .date: return v.text
        case .boolean: return v.text
        default: throw mismatch(v, f)
        }
    }
}
