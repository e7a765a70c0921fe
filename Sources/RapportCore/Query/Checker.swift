/// Checks a parsed query against an entity's schema: resolves field names (suggesting
/// the nearest on a typo), checks each operator against the field's type and converts
/// values, so that evaluation cannot fail.
public struct Checker {
    public let schema: EntitySchema
    public let clock: Clock
    /// The schemas of the other entities, for relations and `customer.FIELD`.
    public let schemas: (Entity) -> EntitySchema
    /// The saved segments `in segment "NAME"` may name (none inside a segment's own condition).
    public var segments: [SavedSegment] = []
    /// Set while checking a relation's inner condition, where another relation is refused.
    private var insideRelation = false

    public init(schema: EntitySchema, clock: Clock, schemas: @escaping (Entity) -> EntitySchema = { EntitySchema(entity: $0) }) {
        self.schema = schema
        self.clock = clock
        self.schemas = schemas
    }

    /// The stored or derived field of this name, if the entity has one; nil, cheaply,
    /// otherwise (the bare-word test asks this of every unquoted value).
    func existingField(_ name: FieldName) -> ResolvedField? {
        if let p = schema.position(of: name.name) {
            let f = schema.fields[p]
            return ResolvedField(position: p, name: f.name, type: f.type)
        }
        // Most words asked about are values, not fields (`id = C000123`): the derived fields
        // are resolved only once one is named (building them all was a twentieth of a lookup).
        guard let derived = DerivedFields.named(name.name, of: schema.entity) else { return nil }
        return Checker.derivedFields(of: schema).first { $0.name == derived.name }
    }

    public func resolve(_ name: FieldName) throws -> ResolvedField {
        guard let p = schema.position(of: name.name) else {
            if let field = Checker.customerField(name) {
                if schema.entity == .customers {
                    throw Diagnostic.usage(.customerFieldOnCustomers, name.name, field.name, at: name.span, suggestion: field.name)
                }
                // A leaf whose every field is `customer.FIELD` never reaches here.
                throw Diagnostic.usage(.customerFieldMixed, name.name, schema.entity.singular, at: name.span)
            }
            if let derived = Checker.derivedFields(of: schema).first(where: { $0.name.lowercased() == name.name.lowercased() }) {
                return derived
            }
            throw Diagnostic.usage(.unknownField, name.name, at: name.span,
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
        var sort: [CheckedSortKey] = []
        for key in q.sort {
            let value = try typed(key.expression)
            if value.kind == .list {
                throw Diagnostic.usage(.sortByList, key.expression.name, at: key.expression.span)
            }
            sort.append(CheckedSortKey(value, descending: key.descending))
        }
        let columns: [ShownColumn]
        if q.showAll {
            columns = (schema.fields.enumerated().map { ResolvedField(position: $0.offset, name: $0.element.name, type: $0.element.type) }
                + Checker.derivedFields(of: schema)).map(column)
        } else if let show = q.show {
            // `show name, NAME` names one field twice: one column, so no format repeats a key.
            var seen = Set<String>()
            columns = try show.map { e -> ShownColumn in
                let value = try typed(e)
                return value.field.map(column) ?? ShownColumn(name: e.name, value: value)
            }.filter { seen.insert($0.value.field.map { "\($0.position)" } ?? "(" + $0.name).inserted }
        } else {
            columns = q.entity.entity.defaultShownFields.compactMap { name in
                schema.position(of: name).map { column(ResolvedField(position: $0, name: schema.fields[$0].name, type: schema.fields[$0].type)) }
            }
        }
        return CheckedFind(entity: q.entity.entity, predicate: predicate, sort: sort,
                           limit: q.limit, offset: q.offset ?? 0, columns: columns, warnings: warnings)
    }

    private func column(_ f: ResolvedField) -> ShownColumn { ShownColumn(name: f.name, value: .field(f)) }

    public func check(_ q: AggregateQuery) throws -> CheckedAggregate {
        var field: ResolvedField?
        if let name = q.field {
            let f = try resolve(name)
            switch q.function {
            case .sum, .avg:
                guard f.type.isNumeric else {
                    throw Diagnostic.usage(.aggregateNeedsNumber, q.function.rawValue, f.name, f.type.rawValue, at: name.span)
                }
            case .min, .max:
                guard f.type != .list, f.type != .boolean else {
                    throw Diagnostic.usage(.aggregateRejectsType, q.function.rawValue, f.type.rawValue, f.name, at: name.span)
                }
            case .count: break
            }
            field = f
        }
        var warnings: [Diagnostic] = []
        let predicate = try q.condition.map { try check($0, warnings: &warnings) }
        let period = try q.groupPeriod.map(resolvePeriod)
        let groupBy = try q.groupBy.map(resolve)
        if let period, let by = groupBy, let name = q.groupBy, !by.type.isTemporal {
            throw Diagnostic.usage(.periodNeedsDate, period.rawValue, by.name, by.type.rawValue, at: name.span)
        }
        return CheckedAggregate(function: q.function, field: field, entity: q.entity.entity,
                                predicate: predicate, groupBy: groupBy, groupPeriod: period, warnings: warnings)
    }

    /// `month` in `by month(F)`, in any case.
    private func resolvePeriod(_ written: PeriodName) throws -> Period {
        guard let period = Period(rawValue: written.name.lowercased()) else {
            throw Diagnostic.usage(.unknownPeriod, written.name,
                                   at: written.span, suggestion: nearestName(to: written.name, among: Period.allCases.map(\.rawValue)))
        }
        return period
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
        if schema.entity != .customers, let onCustomer = Checker.customerSide(c) {
            var customers = Checker(schema: schemas(.customers), clock: clock, schemas: schemas)
            customers.insideRelation = insideRelation
            return .ofCustomer(try customers.checkTest(onCustomer, warnings: &warnings))
        }
        switch c {
        case .and, .or, .not: return try check(c, warnings: &warnings)
        case .isNull(let name, let negated): return .isNull(try resolve(name), negated: negated)
        case .isTrue(let name):
            let f = try resolve(name)
            guard f.type == .boolean else {
                throw Diagnostic.usage(.fieldNeedsOperator, f.name, f.type.rawValue, name.name, f.type == .list ? "has" : "=", at: name.span)
            }
            return .compareKey(f, .equal, 1)
        case .compareExpressions(let left, let op, let right):
            return try compare(left, op, right, warnings: &warnings)
        case .compare(let name, let op, let value):
            // A bare word that names a field of the entity is that field (`city = owner`).
            if case .string(let word, quoted: false) = value.kind {
                let other = FieldName(word, span: value.span)
                // `amount > customer.totalSpent`: refused as a mix, not read as text.
                if Checker.customerField(other) != nil { _ = try resolve(other) }
                if existingField(other) != nil { return try compare(.field(name), op, .field(other), warnings: &warnings) }
            }
            let f = try resolve(name)
            if case .null = value.kind {
                throw Diagnostic.usage(.nullComparison, at: value.span)
            }
            switch f.type {
            case .string:
                if op == .equal || op == .notEqual {
                    return .compareString(f, op, try word(value, for: f, warnings: &warnings))
                }
                return .compareString(f, op, try string(value, for: f))
            case .list:
                throw Diagnostic.usage(.listNeedsHas, f.name, at: name.span)
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
                throw Diagnostic.usage(.listNeedsHasAny, f.name, at: name.span)
            default:
                return .memberKey(f, try values.map { try key($0, for: f) }, negated: negated)
            }
        case .between(let name, let low, let high, let negated):
            let f = try resolve(name)
            switch f.type {
            case .string: return .betweenString(f, try string(low, for: f), try string(high, for: f), negated: negated)
            case .list: throw Diagnostic.usage(.betweenOnList, f.name, at: name.span)
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
                    throw Diagnostic.usage(.textOperatorOnList, op.rawValue, f.name, at: name.span)
                }
                throw Diagnostic.usage(.textOperatorOnType, op.rawValue, f.name, f.type.rawValue, at: name.span)
            }
            return .text(f, op, try string(value, for: f), negated: negated)
        case .has(let name, let mode, let values, let negated):
            let f = try resolve(name)
            guard f.type == .list else {
                throw Diagnostic.usage(.hasOnNonList, f.name, f.type.rawValue, at: name.span)
            }
            return .has(f, mode, try values.map { try word($0, for: f, warnings: &warnings) }, negated: negated)
        case .relation(let relation):
            return try check(relation, warnings: &warnings)
        case .inSegment(let name, let span):
            return try SegmentCommands.predicate(named: name, checker: self, at: span)
        case .within(let name, let value, let keyword):
            let f = try resolve(name)
            if f.type.isTemporal, f.isDerived || (!schema.fields[f.position].isCustom && !Checker.allowsWithin(schema.fields[f.position], of: schema.entity)) {
                let duration: String
                if case .duration = value.kind { duration = value.text } else { duration = "30d" }
                throw Diagnostic.usage(.withinNeedsAnniversary, f.name, name.name, duration,
                                       at: keyword, suggestion: "\(name.name) <= \(duration)")
            }
            guard f.type == .date else {
                throw Diagnostic.usage(.withinNeedsDate, f.name, f.type.rawValue, at: name.span)
            }
            guard case .duration(let days) = value.kind else {
                throw Diagnostic.usage(.withinNeedsDuration, value.text, f.name, at: value.span)
            }
            return .within(f, days: days)
        }
    }

    // MARK: Relations

    /// `any|no ENTITY(COND)`, `count ENTITY(COND) OP N`: the inner condition is checked
    /// against the inner entity's schema.
    private func check(_ r: RelationCondition, warnings: inout [Diagnostic]) throws -> Predicate {
        let word: String
        switch r.quantifier {
        case .any: word = "any"
        case .no: word = "no"
        case .count: word = "count"
        }
        guard !insideRelation else { throw Diagnostic.usage(.relationNested, at: r.keyword) }
        guard schema.entity == .customers else {
            throw Diagnostic.usage(.relationNeedsCustomers, word, r.entity.entity.singular, schema.entity.rawValue, at: r.keyword)
        }
        guard r.entity.entity != .customers else {
            throw Diagnostic.usage(.relationNeedsRecords, word, r.entity.entity.singular, at: r.entity.span)
        }
        var inner = Checker(schema: schemas(r.entity.entity), clock: clock, schemas: schemas)
        inner.insideRelation = true
        let predicate = try r.condition.map { try inner.check($0, warnings: &warnings) }
        switch r.quantifier {
        case .any: return .relation(r.entity.entity, predicate, .greater, 0)
        case .no: return .relation(r.entity.entity, predicate, .equal, 0)
        case .count(let op, let value):
            let n: Double
            switch value.kind {
            case .integer(let i): n = Double(i)
            case .number(let d) where d == d.rounded(): n = d
            default: throw Diagnostic.usage(.relationCountNeedsWholeNumber, r.entity.entity.singular, value.text, at: value.span)
            }
            return .relation(r.entity.entity, predicate, op, n)
        }
    }

    /// The customer's field a `customer.FIELD` name reads, its span past the prefix.
    static func customerField(_ name: FieldName) -> FieldName? {
        let prefix = "customer."
        guard name.name.count > prefix.count, name.name.lowercased().hasPrefix(prefix) else { return nil }
        var span = name.span
        span.start.column += prefix.count
        span.length = max(span.length - prefix.count, 1)
        return FieldName(String(name.name.dropFirst(prefix.count)), span: span)
    }

    /// A leaf whose every field is `customer.FIELD`, with the prefixes taken off; nil when
    /// some field is the record's own (mixing both is refused in `resolve`).
    static func customerSide(_ c: Condition) -> Condition? {
        var allCustomer = true, any = false
        func strip(_ f: FieldName) -> FieldName {
            guard let field = customerField(f) else { allCustomer = false; return f }
            any = true
            return field
        }
        func strip(_ e: Expression) -> Expression {
            switch e {
            case .field(let f): return .field(strip(f))
            case .value: return e
            case .negate(let x, let op): return .negate(strip(x), op: op)
            case .binary(let a, let op, let b, let span): return .binary(strip(a), op, strip(b), op: span)
            }
        }
        let stripped: Condition
        switch c {
        case .compare(let f, let op, let v):
            // A bare word on the right may name a field: `customer.city = customer.owner`.
            var value = v
            if case .string(let word, quoted: false) = v.kind, let field = customerField(FieldName(word, span: v.span)) {
                value = Literal(kind: .string(field.name, quoted: false), span: field.span, text: field.name)
            }
            stripped = .compare(strip(f), op, value)
        case .compareExpressions(let a, let op, let b): stripped = .compareExpressions(strip(a), op, strip(b))
        case .member(let f, let v, let n): stripped = .member(strip(f), v, negated: n)
        case .between(let f, let a, let b, let n): stripped = .between(strip(f), a, b, negated: n)
        case .text(let f, let op, let v, let n): stripped = .text(strip(f), op, v, negated: n)
        case .has(let f, let mode, let v, let n): stripped = .has(strip(f), mode, v, negated: n)
        case .isNull(let f, let n): stripped = .isNull(strip(f), negated: n)
        case .within(let f, let v, let keyword): stripped = .within(strip(f), v, keyword: keyword)
        case .isTrue(let f): stripped = .isTrue(strip(f))
        case .relation, .inSegment, .and, .or, .not: return nil
        }
        return any && allCustomer ? stripped : nil
    }

    // MARK: Expressions

    /// Checks an expression: every bare word is a field, operand types must fit the
    /// operator, and constant parts are folded (`today - 30d` becomes one date).
    public func typed(_ e: Expression) throws -> TypedExpression {
        switch e {
        case .field(let name): return .field(try resolve(name))
        case .value(let v): return try constant(v)
        case .negate(let inner, _):
            let x = try typed(inner)
            guard x.kind == .number || x.kind == .duration else {
                throw Diagnostic.usage(.negationNeedsNumber, inner.name, Checker.describe(x.kind), at: inner.span)
            }
            if case .constant(let c, let k) = x { return .constant(-c, k) }
            return .negate(x)
        case .binary(let l, let op, let r, _):
            var a = try typed(l), b = try typed(r)
            let kind: ValueKind
            for (side, x) in [(l, a), (r, b)] where ![.number, .date, .instant, .duration].contains(x.kind) {
                throw Diagnostic.usage(.arithmeticOperandType, op.rawValue, side.name, Checker.describe(x.kind), at: side.span)
            }
            switch (a.kind, op, b.kind) {
            case (.number, _, .number): kind = .number
            case (.duration, .add, .duration), (.duration, .subtract, .duration): kind = .duration
            case (.date, .subtract, .date): kind = .number
            case (.instant, .subtract, .instant):
                // Seconds apart, as days.
                return fold(.arithmetic(.arithmetic(a, .subtract, b, .number), .divide, .constant(86400, .number), .number))
            case (.date, .add, .duration), (.date, .subtract, .duration), (.duration, .add, .date): kind = .date
            case (.instant, .add, .duration), (.instant, .subtract, .duration), (.duration, .add, .instant):
                // A duration counts in days; an instant in seconds.
                if a.kind == .duration { a = fold(.arithmetic(a, .multiply, .constant(86400, .number), .duration)) }
                else { b = fold(.arithmetic(b, .multiply, .constant(86400, .number), .duration)) }
                kind = .instant
            default:
                // The caret goes under the operand that does not fit the other one.
                let blameLeft = a.kind == .duration && b.kind != .duration
                let blamed = blameLeft ? l : r, blamedKind = blameLeft ? a.kind : b.kind
                var notes: [String] = []
                if a.kind.isTemporal && b.kind == .number { notes = ["a number of days is written as a duration, such as 30d"] }
                throw Diagnostic(.usage, .arithmeticTypeMismatch,
                                 [Checker.verb(op), Checker.describe(a.kind), Checker.describe(b.kind), blamed.name, Checker.describe(blamedKind)],
                                 at: blamed.span, notes: notes)
            }
            return fold(.arithmetic(a, op, b, kind))
        }
    }

    /// An expression without fields, computed now.
    private func fold(_ e: TypedExpression) -> TypedExpression {
        if case .arithmetic(.constant(let x, _), let op, .constant(let y, _), let kind) = e {
            return .constant(TypedExpression.apply(x, op, y), kind)
        }
        return e
    }

    private func constant(_ v: Literal) throws -> TypedExpression {
        switch v.kind {
        case .integer(let i): return .constant(Double(i), .number)
        case .number(let d): return .constant(d, .number)
        case .date(let d): return .constant(Double(d.daysSinceEpoch), .date)
        case .relativeDay(let k): return .constant(Double(clock.today.adding(days: k).daysSinceEpoch), .date)
        case .duration(let days): return .constant(days, .duration)
        case .boolean(let b): return .constant(b ? 1 : 0, .boolean)
        case .string(let s, _):
            if let d = Day(iso: s) { return .constant(Double(d.daysSinceEpoch), .date) }
            throw Diagnostic.usage(.textInExpression, v.text, at: v.span)
        case .null:
            throw Diagnostic.usage(.nullInExpression, at: v.span)
        case .list:
            throw Diagnostic.usage(.listInExpression, at: v.span)
        }
    }

    static func describe(_ k: ValueKind) -> String {
        switch k {
        case .number: return "a number"
        case .date: return "a date"
        case .instant: return "an instant"
        case .duration: return "a duration"
        case .text: return "text"
        case .boolean: return "true or false"
        case .list: return "a list"
        }
    }

    private static func verb(_ op: ArithmeticOperator) -> String {
        switch op {
        case .add: return "add"
        case .subtract: return "subtract"
        case .multiply: return "multiply"
        case .divide: return "divide"
        }
    }

    /// `EXPR OP EXPR`. Where one side is a field and the other folds to a constant, the
    /// result is the same test as `FIELD OP VALUE`, which an index can answer.
    private func compare(_ left: Expression, _ op: ComparisonOperator, _ right: Expression, warnings: inout [Diagnostic]) throws -> Predicate {
        // A single value against a field keeps the value's own conversion (text, vocabulary).
        if case .field(let f) = left, case .value(let v) = right { return try checkTest(.compare(f, op, v), warnings: &warnings) }
        if case .value(let v) = left, case .field(let f) = right { return try checkTest(.compare(f, op.mirrored, v), warnings: &warnings) }
        var a = try typed(left), b = try typed(right)
        var op = op
        if a.kind == .text || b.kind == .text {
            guard let x = a.field, let y = b.field, a.kind == b.kind else {
                let blamed = a.kind == .text ? right : left
                throw Diagnostic.usage(.textComparedWith, Checker.describe(a.kind == .text ? b.kind : a.kind), blamed.name, at: blamed.span)
            }
            return .compareFields(x, op, y)
        }
        for (side, x) in [(left, a), (right, b)] where x.kind == .list {
            throw Diagnostic(.usage, .listNeedsHas, [side.name], at: side.span)
        }
        // A date against a duration compares its age, as `lastContact > 90d` does.
        if a.kind == .duration, b.kind.isTemporal { swap(&a, &b); op = op.mirrored }
        if b.kind == .duration, a.kind.isTemporal, case .constant(let days, _) = b {
            let bound = a.kind == .instant ? Double(clock.now) - days * 86400 : Double(clock.today.daysSinceEpoch) - days
            return test(a, op.mirrored, bound)
        }
        // A calendar date against an instant stands for its whole day.
        if a.kind == .date, b.kind == .instant { swap(&a, &b); op = op.mirrored }
        if a.kind == .instant, b.kind == .date, case .constant(let days, _) = b, days == days.rounded(), abs(days) < 1e7 {
            let start = Double(clock.startOfDay(Day(daysSinceEpoch: Int32(days))))
            let next = Double(clock.startOfDay(Day(daysSinceEpoch: Int32(days) + 1)))
            switch op {
            case .equal: return .and(test(a, .greaterOrEqual, start), test(a, .less, next))
            case .notEqual: return .or(test(a, .less, start), test(a, .greaterOrEqual, next))
            case .less: return test(a, .less, start)
            case .lessOrEqual: return test(a, .less, next)
            case .greater: return test(a, .greaterOrEqual, next)
            case .greaterOrEqual: return test(a, .greaterOrEqual, start)
            }
        }
        let compatible = a.kind == b.kind || (a.kind == .number && b.kind == .duration) || (a.kind == .duration && b.kind == .number)
        guard compatible else {
            throw Diagnostic.usage(.comparisonTypeMismatch, Checker.describe(a.kind), Checker.describe(b.kind), right.name, Checker.describe(b.kind), at: right.span)
        }
        if case .constant(let k, _) = b { return test(a, op, k) }
        if case .constant(let k, _) = a { return test(b, op.mirrored, k) }
        return .compareValues(a, op, b)
    }

    /// `value op key`: an index-answerable test when the value is one field.
    private func test(_ value: TypedExpression, _ op: ComparisonOperator, _ key: Double) -> Predicate {
        if let f = value.field { return .compareKey(f, op, key) }
        return .compareValues(value, op, .constant(key, value.kind))
    }

    /// The built-in dates that recur each year, where `within` makes sense. Custom date
    /// fields are the user's to judge; every other built-in date is a past event.
    static let yearlyFields: [Entity: Set<String>] = [.customers: ["birthday", "createdAt"]]

    /// Whether `within` (a yearly recurrence) makes sense on a field.
    public static func allowsWithin(_ field: Field, of entity: Entity) -> Bool {
        field.type == .date && (field.isCustom || yearlyFields[entity]?.contains(field.name) == true)
    }

    /// The text of a value compared for equality with a string field, or tested with `has`
    /// on a list field. On a field with a
    /// vocabulary an alias becomes its word (`call` is `phone`); a word outside it still
    /// runs (old stores may hold other words) but earns a warning.
    func word(_ v: Literal, for f: ResolvedField, warnings: inout [Diagnostic]) throws -> String {
        let text = try string(v, for: f)
        guard !f.isDerived, !schema.fields[f.position].isCustom, let vocabulary = Vocabulary.of(f.name, in: schema.entity) else { return text }
        if let canonical = vocabulary.canonical(text) { return canonical }
        let id: DiagnosticID = f.type == .list ? .listItemNotInVocabulary : .notInVocabulary
        warnings.append(Diagnostic(.warning, id, [text, f.name, vocabulary.words.joined(separator: ", ")], at: v.span,
                                   suggestion: nearestName(to: text, among: vocabulary.words)))
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
        return .compareKey(f, op.mirrored, bound)
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
        return Diagnostic.usage(.typeMismatch, f.name, f.type.rawValue, expected, v.text, at: v.span)
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

extension ComparisonOperator {
    /// The operator with its sides swapped: `a < b` is `b > a`.
    public var mirrored: ComparisonOperator {
        switch self {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        }
    }
}

extension ValueKind {
    var isTemporal: Bool { self == .date || self == .instant }
}
