/// The kinds of record the store holds.
public enum Entity: String, Sendable, CaseIterable {
    /// `points` is the loyalty ledger: one entry per points earned or redeemed.
    /// `events` is the tickets' timeline: one entry per step of a ticket (docs/service.md).
    /// `surveys` hold satisfaction scores; `tasks` are to-dos for a person about a customer.
    /// `messages` are what campaigns send, `touchpoints` the customers a campaign that sends
    /// nothing acted on, `runs` one entry per campaign run (docs/campaigns.md).
    case customers, contacts, purchases, tickets, points, events, surveys, tasks, messages, touchpoints, runs

    public var singular: String { String(rawValue.dropLast()) }

    /// The points ledger (written by `add points`, `redeem` and purchases) and the ticket
    /// timeline (written by the ticket commands) are written only by their rules: `update`
    /// and `import` refuse them, and `add` the timeline.
    public var isWrittenByRules: Bool { writtenOnlyBy != nil }

    /// Why direct writes to this entity are refused, when they are.
    var writtenOnlyBy: DiagnosticID? {
        switch self {
        case .points: return .pointsLedgerWrittenByRules
        case .events: return .timelineWrittenByCommands
        case .messages, .touchpoints, .runs: return .campaignRecordsWrittenByRuns
        default: return nil
        }
    }

    /// Whether each record names its customer (and the rollup holds it to one that exists):
    /// all but the customers themselves and the campaigns' runs.
    public var belongsToACustomer: Bool { self != .customers && self != .runs }

    /// The entity a word names, singular or plural, in any case.
    public init?(word: String) {
        let w = word.lowercased()
        for e in Entity.allCases where w == e.rawValue || w == e.singular {
            self = e
            return
        }
        return nil
    }

    /// The prefix of ids that Rapport generates for this entity.
    public var idPrefix: String {
        switch self {
        case .customers: return "C"
        case .contacts: return "K"
        case .purchases: return "P"
        case .tickets: return "T"
        case .points: return "L"
        case .events: return "E"
        case .surveys: return "S"
        case .tasks: return "A"
        case .messages: return "M"
        case .touchpoints: return "H"
        case .runs: return "R"
        }
    }

    /// The fields every store has for this entity, in display order.
    public var builtinFields: [Field] {
        switch self {
        case .customers:
            return [
                Field("id", .string), Field("name", .string), Field("email", .string),
                Field("phone", .string), Field("city", .string), Field("owner", .string),
                Field("tier", .string), Field("grade", .string), Field("stage", .string),
                Field("birthday", .date), Field("createdAt", .date),
                Field("lastContact", .date), Field("lastPurchase", .date),
                Field("totalSpent", .number), Field("purchaseCount", .integer),
                Field("satisfaction", .integer),
                Field("tags", .list), Field("lostReason", .string),
                // Consent for care campaigns (docs/campaigns.md); after the older fields so stored order holds.
                Field("preferredChannel", .string), Field("optOut", .list),
            ]
        case .contacts:
            return [
                Field("id", .string), Field("customer", .string), Field("date", .date),
                Field("channel", .string), Field("note", .string), Field("by", .string),
            ]
        case .purchases:
            return [
                Field("id", .string), Field("customer", .string), Field("date", .date),
                Field("amount", .number), Field("product", .string),
            ]
        case .tickets:
            return [
                Field("id", .string), Field("customer", .string), Field("kind", .string),
                Field("text", .string), Field("priority", .string), Field("status", .string),
                Field("openedAt", .instant), Field("closedAt", .instant), Field("owner", .string),
                // Set by the ticket commands (docs/service.md); after the older fields so stored order holds.
                Field("channel", .string), Field("respondedAt", .instant), Field("resolvedAt", .instant),
            ]
        case .points:
            // change: + earned, - redeemed; expiresAt only on earned entries.
            return [
                Field("id", .string), Field("customer", .string), Field("date", .date),
                Field("change", .integer), Field("reason", .string), Field("expiresAt", .date),
            ]
        case .events:
            // status: the ticket's status after the step.
            return [
                Field("id", .string), Field("ticket", .string), Field("customer", .string), Field("at", .instant),
                Field("by", .string), Field("kind", .string), Field("channel", .string), Field("status", .string),
                Field("text", .string),
            ]
        case .surveys:
            return [
                Field("id", .string), Field("customer", .string), Field("date", .date), Field("score", .integer),
                Field("nps", .integer), Field("channel", .string), Field("comment", .string),
            ]
        case .tasks:
            return [
                Field("id", .string), Field("customer", .string), Field("owner", .string), Field("text", .string),
                Field("due", .date), Field("status", .string), Field("doneAt", .instant),
            ]
        case .messages:
            // status: pending until delivered, then sent or failed (`deliver`: sentAt, or
            // attempts and lastError).
            return [
                Field("id", .string), Field("campaign", .string), Field("customer", .string), Field("channel", .string),
                Field("to", .string), Field("text", .string), Field("at", .instant), Field("status", .string),
                Field("sentAt", .instant), Field("attempts", .integer), Field("lastError", .string),
            ]
        case .touchpoints:
            return [Field("id", .string), Field("campaign", .string), Field("customer", .string), Field("at", .instant)]
        case .runs:
            // skips: the skipped customers by reason, as the summary line says them.
            return [
                Field("id", .string), Field("campaign", .string), Field("at", .instant), Field("by", .string),
                Field("targeted", .integer), Field("skipped", .integer), Field("sent", .integer), Field("applied", .integer),
                Field("skips", .string),
            ]
        }
    }

    /// The fields `find` shows when the query has no `show`.
    public var defaultShownFields: [String] {
        switch self {
        case .customers: return ["id", "name", "tier", "city", "lastContact"]
        case .contacts: return ["id", "customer", "date", "channel", "note"]
        case .purchases: return ["id", "customer", "date", "amount", "product"]
        case .tickets: return ["id", "customer", "kind", "priority", "status", "openedAt"]
        case .points: return ["id", "customer", "date", "change", "reason", "expiresAt"]
        case .events: return ["id", "ticket", "at", "by", "kind", "status", "text"]
        case .surveys: return ["id", "customer", "date", "score", "nps", "channel", "comment"]
        case .tasks: return ["id", "customer", "owner", "due", "status", "text"]
        case .messages: return ["id", "campaign", "customer", "channel", "to", "at", "status"]
        case .touchpoints: return ["id", "campaign", "customer", "at"]
        case .runs: return ["id", "campaign", "at", "by", "targeted", "skipped", "sent", "applied", "skips"]
        }
    }
}

/// A named, typed field of an entity.
public struct Field: Hashable, Sendable {
    public var name: String
    public var type: FieldType
    public var isCustom: Bool

    public init(_ name: String, _ type: FieldType, isCustom: Bool = false) {
        self.name = name
        self.type = type
        self.isCustom = isCustom
    }
}

/// The fields of one entity: the built-in ones, then custom fields in order of arrival.
/// Field names are matched without regard to case.
public struct EntitySchema: Sendable {
    public let entity: Entity
    public private(set) var fields: [Field]
    private var positions: [String: Int]

    public init(entity: Entity, customFields: [Field] = []) {
        self.entity = entity
        self.fields = []
        self.positions = [:]
        for f in entity.builtinFields { append(f) }
        for f in customFields { append(Field(f.name, f.type, isCustom: true)) }
    }

    /// The position of the field named `name`, in any case.
    public func position(of name: String) -> Int? { positions[name.lowercased()] }

    public func field(named name: String) -> Field? { position(of: name).map { fields[$0] } }

    @discardableResult
    public mutating func append(_ field: Field) -> Int {
        if let p = positions[field.name.lowercased()] { return p }
        fields.append(field)
        positions[field.name.lowercased()] = fields.count - 1
        return fields.count - 1
    }

    public var customFields: [Field] { fields.filter(\.isCustom) }
}
