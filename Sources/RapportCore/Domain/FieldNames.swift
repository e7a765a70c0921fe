/// Names of the built-in customer fields the rules read and write, so a misspelt name
/// is a compile error rather than a silent null.
public enum CustomerField {
    public static let id = "id"
    public static let owner = "owner"
    public static let stage = "stage"
    public static let tier = "tier"
    public static let grade = "grade"
    public static let lostReason = "lostReason"
    public static let name = "name"
    public static let createdAt = "createdAt"
    public static let satisfaction = "satisfaction"
    public static let lastContact = "lastContact"
    public static let lastPurchase = "lastPurchase"
    public static let totalSpent = "totalSpent"
    public static let purchaseCount = "purchaseCount"
    public static let points = "points"

    /// The fields kept from the customer's records, with the records that keep them.
    /// `points` is not here: it may be adjusted by hand.
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
