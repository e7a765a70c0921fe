/// `why churn ID`: the customer's churnRisk and each signal behind it, with its evidence
/// and weight. The facts come through the same `ChurnFacts.columns` and the signals from
/// the same `ChurnRules.signals` as the `churnRisk` column, over this one customer's records.
public struct ChurnExplanation {
    public let backend: any Backend
    public let clock: Clock

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    /// A line naming the risk and its score, and the signals as rows (signal, weight, evidence).
    public func explain(_ literal: Literal) throws -> (headline: String, signals: ResultSet, risk: ChurnRisk, top: ChurnSignal?) {
        let (id, record) = try ProfileCard(backend: backend, clock: clock, timeZone: clock.timeZone).find(literal)
        let (risk, signals) = assess(id, record)
        let thresholds = ChurnThresholds(backend.policy)
        let score = signals.reduce(0) { $0 + $1.weight }
        let name: String
        if case .string(let n)? = record["name"] { name = " (\(n))" } else { name = "" }
        let headline = "churnRisk of \(id)\(name): \(risk.rawValue), signal weights \(ChurnSignal.number(score)) "
            + "(medium from \(ChurnSignal.number(thresholds.medium)), high from \(ChurnSignal.number(thresholds.high)))"
        let rows = signals.map { [Value.string($0.kind.rawValue), .number($0.weight), .string($0.evidence)] }
        let top = signals.max { $0.weight < $1.weight }
        return (headline, ResultSet(columns: ["signal", "weight", "evidence"], rows: rows), risk, top)
    }

    /// The risk and signals of one customer given its stored record.
    func assess(_ id: String, _ record: [String: Value]) -> (risk: ChurnRisk, signals: [ChurnSignal]) {
        let inputs = OneCustomerInputs(id: id, record: record, backend: backend, clock: clock)
        let facts = ChurnFacts.columns(inputs).at(0)
        return ChurnRules.assess(facts, ChurnThresholds(inputs.policy), today: inputs.today.daysSinceEpoch)
    }
}

/// The derived rules' inputs for a single customer (row 0), read from its records.
struct OneCustomerInputs: DerivedInputs {
    let id: String
    let record: [String: Value]
    let backend: any Backend
    let clock: Clock

    var today: Day { clock.today }
    var now: Int64 { clock.now }
    var policy: Policy { backend.policy }
    var rowCount: Int { 1 }

    private func value(_ field: String) -> Value? {
        record.first { $0.key.lowercased() == field.lowercased() }?.value
    }

    func dates(_ field: String) -> [Int32] {
        if case .date(let d)? = value(field) { return [d.daysSinceEpoch] }
        return [NullSentinel.date]
    }

    func integers(_ field: String) -> [Int64] {
        if case .integer(let v)? = value(field) { return [v] }
        return [NullSentinel.integer]
    }

    func strings(_ field: String) -> (codes: [UInt32], strings: [String]) {
        if case .string(let s)? = value(field) { return ([1], ["", s]) }
        return ([0], [""])
    }

    func instants(_ field: String) -> [Int64] {
        if case .instant(let v)? = value(field) { return [v] }
        return [NullSentinel.instant]
    }

    /// A customer is linked to its records through `customer` alone (`relatedRows`).
    func linkedRows(of related: Entity, by link: String, instant: String, text: String) -> LinkedRows { LinkedRows() }

    func ownerRows(of related: Entity, where field: String?, keep: (String?) -> Bool) -> [Int32] {
        relatedRows(of: related, where: field, keep: keep, number: nil, day: nil, flag: nil, flagTest: { _ in false }).owners
    }

    func relatedRows(of related: Entity, where field: String?, keep: (String?) -> Bool,
                     number: String?, day: String?, flag: String?, flagTest: (String?) -> Bool) -> RelatedRows {
        func text(_ r: [String: Value], _ name: String?) -> String? {
            guard let name, case .string(let s)? = r[name] else { return nil }
            return s
        }
        var out = RelatedRows()
        for (_, r) in backend.records(related, ofCustomers: [id], fields: nil) {
            if field != nil, !keep(text(r, field)) { continue }
            out.owners.append(0)
            if let number {
                switch r[number] {
                case .number(let v)?: out.numbers.append(v)
                case .integer(let v)?: out.numbers.append(Double(v))
                default: out.numbers.append(.nan)
                }
            }
            if let day {
                switch r[day] {
                case .date(let d)?: out.days.append(d.daysSinceEpoch)
                case .instant(let t)?: out.days.append(clock.day(of: t).daysSinceEpoch)
                default: out.days.append(NullSentinel.date)
                }
            }
            if flag != nil { out.flags.append(flagTest(text(r, flag))) }
        }
        return out
    }

    func shared<T>(_ key: String, _ make: () -> T) -> T { make() }
}
