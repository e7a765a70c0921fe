/// The loyalty rule: one point for each whole unit of currency of a purchase.
public enum Loyalty {
    public static func points(forAmount amount: Double) -> Int64 {
        guard amount.isFinite, amount > 0 else { return 0 }
        return Int64(amount.rounded(.down))
    }
}
