/// A condition kept under a name (`save segment "lapsing gold" as customers where ...`),
/// evaluated afresh at each use: the store keeps its text, never its members.
public struct SavedSegment: Sendable, Equatable {
    /// As first written; names compare ignoring case.
    public var name: String
    public var entity: Entity
    /// The condition as stored, parameters replaced by their values.
    public var condition: String
    public var savedBy: String
    /// Real time, seconds since 1970 (UTC), like a change set's `at`.
    public var savedAt: Int64

    public init(name: String, entity: Entity, condition: String, savedBy: String, savedAt: Int64) {
        self.name = name
        self.entity = entity
        self.condition = condition
        self.savedBy = savedBy
        self.savedAt = savedAt
    }

    /// The key a name is kept under: names ignore case, as field names do.
    static func key(_ name: String) -> String { name.lowercased() }
}

/// One segment saved, replaced (`before` and `after`) or deleted (`after` nil).
public struct SegmentChange: Sendable, Equatable {
    public var name: String
    public var before: SavedSegment?
    public var after: SavedSegment?

    public init(name: String, before: SavedSegment?, after: SavedSegment?) {
        self.name = name
        self.before = before
        self.after = after
    }
}

/// Saved segments: looking one up and checking its condition (every use goes through
/// `condition(named:)`: queries, and the campaign runner's `target segment`), and the
/// change sets of `save segment` and `delete segment`.
public enum SegmentCommands {
    /// The segment named `name` (any case), or an unknown-segment error with the nearest name.
    public static func segment(named name: String, in segments: [SavedSegment], at span: SourceSpan?) throws -> SavedSegment {
        if let found = segments.first(where: { SavedSegment.key($0.name) == SavedSegment.key(name) }) { return found }
        throw Diagnostic.usage(.unknownSegment, name, at: span, suggestion: nearestName(to: name, among: segments.map(\.name)))
    }

    /// The segment's condition, parsed and checked against `checker`'s entity as it is now:
    /// a condition that no longer checks (a custom field gone, a vocabulary changed) is an
    /// error naming the segment, at `span`, the place that used it.
    public static func predicate(named name: String, checker: Checker, at span: SourceSpan?) throws -> Predicate {
        let segment = try segment(named: name, in: checker.segments, at: span)
        guard segment.entity == checker.schema.entity else {
            throw Diagnostic.usage(.segmentWrongEntity, segment.name, segment.entity.rawValue, checker.schema.entity.rawValue, at: span)
        }
        var inner = checker
        inner.segments = []
        do {
            return try inner.check(try condition(of: segment))
        } catch let d as Diagnostic {
            throw Diagnostic.usage(.segmentConditionInvalid, segment.name, d.message, segment.condition, at: span)
        }
    }

    /// The stored text read back as a condition.
    public static func condition(of segment: SavedSegment) throws -> Condition {
        try Parser.parseCondition(segment.condition)
    }

    /// The change `save segment` makes, or nil when the segment is saved already just so
    /// (a script that saves its segment may run every day).
    static func save(name: String, nameSpan: SourceSpan, replace: Bool, entity: Entity, condition: Condition, text: String,
                     checker: Checker, user: String, at now: Int64) throws -> SegmentChange? {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, !name.contains(where: { $0.isNewline }) else {
            throw Diagnostic.usage(.expectedSegmentName, at: nameSpan)
        }
        if containsSegment(condition) { throw Diagnostic.usage(.segmentNested, at: nameSpan) }
        _ = try checker.check(condition)
        let existing = checker.segments.first { SavedSegment.key($0.name) == SavedSegment.key(name) }
        if let existing, existing.entity == entity, existing.condition == text { return nil }
        if let existing, !replace {
            throw Diagnostic.usage(.segmentExists, existing.name, "\(existing.entity.rawValue) where \(existing.condition)", at: nameSpan)
        }
        let saved = SavedSegment(name: existing?.name ?? name, entity: entity, condition: text, savedBy: user, savedAt: now)
        return SegmentChange(name: saved.name, before: existing, after: saved)
    }

    private static func containsSegment(_ c: Condition) -> Bool {
        switch c {
        case .inSegment: return true
        case .and(let a, let b), .or(let a, let b): return containsSegment(a) || containsSegment(b)
        case .not(let a): return containsSegment(a)
        case .relation(let r): return r.condition.map(containsSegment) ?? false
        default: return false
        }
    }

    /// `show segments`: name, entity, condition, who saved it and when (UTC).
    static func table(_ segments: [SavedSegment]) -> ResultSet {
        ResultSet(columns: ["segment", "entity", "condition", "savedBy", "savedAt"], rows: segments.map {
            [.string($0.name), .string($0.entity.rawValue), .string($0.condition), .string($0.savedBy), .string(RecordCodec.isoUTC($0.savedAt))]
        })
    }
}
