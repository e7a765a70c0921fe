/// Names of the built-in customer fields the rules read and write, so a misspelt name
/// is a compile error rather than a silent null.
public enum CustomerField {
    public static let id = "id"
    public static let owner = "owner"
    public static let stage = "stage"
    public static let tier = "tier"
    public static let grade = "grade"
    public static let lostReason = "lostReason"
    public static let email = "email"
    public static let phone = "phone"
    public static let city = "city"
    /// The channel the customer asked to be reached by (`send preferred`).
    public static let preferredChannel = "preferredChannel"
    /// The channels the customer refused, or `all`.
    public static let optOut = "optOut"
    public static let name = "name"
    public static let createdAt = "createdAt"
    public static let satisfaction = "satisfaction"
    public static let lastContact = "lastContact"
    public static let lastPurchase = "lastPurchase"
    public static let totalSpent = "totalSpent"
    public static let purchaseCount = "purchaseCount"
    /// Derived from the points ledger (`DerivedFields`), no longer stored.
    public static let points = "points"

    /// The fields kept from the customer's records, with the records that keep them.
    public static let keptFromRecords: [String: String] = [
        totalSpent: "purchases", purchaseCount: "purchases", lastPurchase: "purchases", lastContact: "contacts",
    ]
}

/// Names of the built-in fields of contacts, purchases and tickets.
public enum RecordField {
    public static let id = "id"
    public static let customer = "customer"
    public static let date = "date"
    public static let amount = "amount"
}

/// Names of the fields of a points ledger entry.
public enum PointsField {
    public static let change = "change"
    public static let reason = "reason"
    public static let expiresAt = "expiresAt"
}

/// Names of the ticket fields the service rules read and write.
public enum TicketField {
    public static let kind = "kind"
    public static let text = "text"
    public static let priority = "priority"
    public static let status = "status"
    public static let owner = "owner"
    public static let channel = "channel"
    public static let openedAt = "openedAt"
    public static let respondedAt = "respondedAt"
    public static let resolvedAt = "resolvedAt"
    public static let closedAt = "closedAt"
}

/// Names of the fields of a timeline entry (entity `events`).
public enum EventField {
    public static let ticket = "ticket"
    public static let at = "at"
    public static let by = "by"
    public static let kind = "kind"
    public static let channel = "channel"
    public static let status = "status"
    public static let text = "text"
}

/// Names of the fields of a survey (entity `surveys`).
public enum SurveyField {
    public static let score = "score"
    public static let nps = "nps"
    public static let channel = "channel"
    public static let comment = "comment"
}

/// Names of the fields of a task (entity `tasks`).
public enum TaskField {
    public static let owner = "owner"
    public static let text = "text"
    public static let due = "due"
    public static let status = "status"
    public static let doneAt = "doneAt"
}

/// Names of the fields of the audit trail (entity `audit`) that commands read.
public enum AuditField {
    public static let record = "record"
}
