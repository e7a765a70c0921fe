/// The loyalty rules: what a purchase earns, and the balance of a points ledger.
public enum Loyalty {
    /// The most points one entry may move (`add points`, `redeem`, an imported opening
    /// balance): far beyond any real programme, and sums of such entries stay exact.
    public static let maximumEntry: Int64 = 1_000_000_000

    /// The points a purchase earns: floor(amount × perUnit); 0 for no amount or a rate of 0.
    public static func points(forAmount amount: Double, perUnit: Double = 1) -> Int64 {
        guard amount.isFinite, amount > 0, perUnit.isFinite, perUnit > 0 else { return 0 }
        let earned = (amount * perUnit).rounded(.down)
        guard earned < 9e18 else { return 0 }
        return Int64(earned)
    }

    /// The points a purchase earns under a store's policy (`points.perUnit`).
    public static func points(forAmount amount: Double, policy: Policy) -> Int64 {
        points(forAmount: amount, perUnit: policy["points.perUnit"])
    }

    /// When points earned on `date` expire under the policy (`points.expiry`).
    public static func expiry(earnedOn date: Day, policy: Policy) -> Day {
        Day(daysSinceEpoch: date.daysSinceEpoch + Int32(clamping: policy.days("points.expiry")))
    }

    /// One ledger entry as the balance rule reads it.
    public struct Entry: Sendable, Equatable {
        /// nil: dated before anything else (an opening balance without a date).
        public var date: Day?
        /// + earned, − redeemed.
        public var change: Int64
        /// The first day the lot no longer counts; nil never expires.
        public var expiresAt: Day?

        public init(date: Day?, change: Int64, expiresAt: Day? = nil) {
            self.date = date
            self.change = change
            self.expiresAt = expiresAt
        }
    }

    /// What remains of a ledger as of a day.
    public struct Balance: Sendable, Equatable {
        public var points: Int64
        /// The next lot to expire after `today` that still holds points: its remaining
        /// amount and its expiry day.
        public var nextExpiry: (points: Int64, on: Day)?

        public static func == (a: Balance, b: Balance) -> Bool {
            a.points == b.points && a.nextExpiry?.points == b.nextExpiry?.points && a.nextExpiry?.on == b.nextExpiry?.on
        }
    }

    /// The FIFO balance of a ledger as of `today`. Each earning is a lot; a redemption
    /// consumes the oldest lots still valid on its date first. A lot counts up to the day
    /// before its `expiresAt` (on that day it has expired). Entries dated after today do
    /// not count yet. A redemption larger than the valid lots (only possible in data
    /// carried over from before the ledger) leaves a debt that later earnings pay first,
    /// so the balance may be negative and always equals the entries' sum before expiry.
    public static func balance(of entries: [Entry], today: Day) -> Balance {
        // Same-day entries: earnings first, so a purchase and a redemption on one day work.
        let ordered = entries.enumerated().sorted { a, b in
            let da = a.element.date?.daysSinceEpoch ?? Int32.min, db = b.element.date?.daysSinceEpoch ?? Int32.min
            if da != db { return da < db }
            if (a.element.change > 0) != (b.element.change > 0) { return a.element.change > 0 }
            return a.offset < b.offset
        }.map(\.element)
        var lots: [(remaining: Int64, expiresAt: Day?)] = []
        var debt: Int64 = 0
        for entry in ordered {
            if let d = entry.date, d > today { break }
            if entry.change > 0 {
                var amount = entry.change
                let paid = min(debt, amount)
                debt -= paid
                amount -= paid
                if amount > 0 { lots.append((amount, entry.expiresAt)) }
            } else if entry.change < 0 {
                var owed = entry.change.magnitude > UInt64(Int64.max) ? Int64.max : -entry.change
                for i in lots.indices where owed > 0 && lots[i].remaining > 0 && isValid(lots[i].expiresAt, on: entry.date) {
                    let taken = min(owed, lots[i].remaining)
                    lots[i].remaining -= taken
                    owed -= taken
                }
                debt = debt.addingReportingOverflow(owed).overflow ? Int64.max : debt + owed
            }
        }
        var points: Int64 = 0
        var next: (points: Int64, on: Day)?
        for lot in lots where lot.remaining > 0 && isValid(lot.expiresAt, on: today) {
            points = points.addingReportingOverflow(lot.remaining).overflow ? Int64.max : points + lot.remaining
            if let e = lot.expiresAt {
                if next == nil || e < next!.on {
                    next = (lot.remaining, e)
                } else if e == next!.on {
                    next!.points = next!.points.addingReportingOverflow(lot.remaining).overflow ? Int64.max : next!.points + lot.remaining
                }
            }
        }
        return Balance(points: points - debt, nextExpiry: next)
    }

    /// A lot with this expiry still counts on `day` (nil: a day before any date).
    static func isValid(_ expiresAt: Day?, on day: Day?) -> Bool {
        guard let expiresAt, let day else { return true }
        return day < expiresAt
    }
}
