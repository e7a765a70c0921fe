/// The closed vocabularies of built-in fields: which words a field may hold, the one
/// spelling each is stored in, and the aliases people type for them. Every path into the
/// store (commands and import, through `RecordRules`) and every query resolves words here;
/// journal replay stores what was written, already resolved.
public struct Vocabulary: Sendable {
    /// The words, in their stored spelling.
    public let words: [String]
    /// Other spellings people use, lower-cased, mapped to a stored word.
    public let aliases: [String: String]

    public init(_ words: [String], aliases: [String: String] = [:]) {
        self.words = words
        self.aliases = aliases
    }

    /// The stored spelling of `text` (any case, or an alias), or nil when it is not a word
    /// of this vocabulary.
    public func canonical(_ text: String) -> String? {
        // Most values are given in their stored spelling (no two words differ only by case).
        if words.contains(text) { return text }
        let lower = text.lowercased()
        if let w = words.first(where: { $0.lowercased() == lower }) { return w }
        return aliases[lower]
    }

    /// The vocabulary of a built-in field of an entity; nil for free-text and custom fields.
    /// On a list field (`optOut`) it is the vocabulary of each item.
    public static func of(_ field: String, in entity: Entity) -> Vocabulary? {
        Closed.of(field, in: entity)?.vocabulary
    }

    /// The closed vocabularies by name: a plain value (no arrays to retain) that a field's
    /// `RecordRules.Rule` holds, resolved once instead of for every value.
    public enum Closed: UInt8, Sendable {
        case tier, grade, stage, lostReason, channel, optOut, ticketKind, priority, ticketStatus, ticketStep, taskStatus

        public static func of(_ field: String, in entity: Entity) -> Closed? {
            switch (entity, field) {
            case (.customers, "tier"): return .tier
            case (.customers, "grade"): return .grade
            case (.customers, "stage"): return .stage
            case (.customers, "lostReason"): return .lostReason
            case (.customers, "preferredChannel"): return .channel
            case (.customers, "optOut"): return .optOut
            case (.contacts, "channel"): return .channel
            case (.tickets, "kind"): return .ticketKind
            case (.tickets, "priority"): return .priority
            case (.tickets, "status"): return .ticketStatus
            case (.tickets, "channel"): return .channel
            case (.events, "kind"): return .ticketStep
            case (.events, "channel"): return .channel
            case (.events, "status"): return .ticketStatus
            case (.surveys, "channel"): return .channel
            case (.tasks, "status"): return .taskStatus
            default: return nil
            }
        }

        public var vocabulary: Vocabulary {
            switch self {
            case .tier: return Vocabulary.tier
            case .grade: return Vocabulary.grade
            case .stage: return Vocabulary.stage
            case .lostReason: return Vocabulary.lostReason
            case .channel: return Vocabulary.channel
            case .optOut: return Vocabulary.optOut
            case .ticketKind: return Vocabulary.ticketKind
            case .priority: return Vocabulary.priority
            case .ticketStatus: return Vocabulary.ticketStatus
            case .ticketStep: return Vocabulary.ticketStep
            case .taskStatus: return Vocabulary.taskStatus
            }
        }

        /// Whether `text` is a word in its stored spelling, as most given values are: read
        /// in place from the vocabulary (a copy of it retained both its arrays, per value).
        func holdsAsStored(_ text: String) -> Bool {
            switch self {
            case .tier: return Vocabulary.tier.words.contains(text)
            case .grade: return Vocabulary.grade.words.contains(text)
            case .stage: return Vocabulary.stage.words.contains(text)
            case .lostReason: return Vocabulary.lostReason.words.contains(text)
            case .channel: return Vocabulary.channel.words.contains(text)
            case .optOut: return Vocabulary.optOut.words.contains(text)
            case .ticketKind: return Vocabulary.ticketKind.words.contains(text)
            case .priority: return Vocabulary.priority.words.contains(text)
            case .ticketStatus: return Vocabulary.ticketStatus.words.contains(text)
            case .ticketStep: return Vocabulary.ticketStep.words.contains(text)
            case .taskStatus: return Vocabulary.taskStatus.words.contains(text)
            }
        }
    }

    public static let tier = Vocabulary(["bronze", "silver", "gold", "platinum"])
    public static let grade = Vocabulary(["A", "B", "C", "D"])
    public static let stage = Vocabulary(["prospect", "active", "at-risk", "lost"])
    /// Why a lost customer left (docs/segments.md).
    public static let lostReason = Vocabulary(["natural", "malicious", "competitive", "fault"])
    public static let channel = Vocabulary(["phone", "visit", "email", "sms", "wechat"],
                                           aliases: ["call": "phone", "微信": "wechat"])
    /// The items of a customer's `optOut`: the channels, or `all` for every one of them.
    public static let optOut = Vocabulary(channel.words + [optOutAll], aliases: channel.aliases)
    /// The `optOut` item that refuses every channel.
    public static let optOutAll = "all"
    public static let ticketKind = Vocabulary(["inquiry", "complaint", "suggestion"])
    public static let priority = Vocabulary(["low", "normal", "high", "urgent"])
    /// open → responded (first reply) → resolved → closed; pending while waiting on the
    /// customer; reopen goes back to open (docs/service.md).
    public static let ticketStatus = Vocabulary(["open", "responded", "pending", "resolved", "closed"])
    /// The kinds of step on a ticket's timeline, one per ticket command.
    public static let ticketStep = Vocabulary(["opened", "replied", "assigned", "waiting", "resolved", "closed", "reopened"])
    /// A task is open until `done TASK` (docs/service.md).
    public static let taskStatus = Vocabulary(["open", "done"])
}
