import Foundation
import RapportCore

/// The care routines on PostgreSQL (docs/postgres.md "Campaigns, delivery and the policy"):
/// the policy in `rapport_policy`, every campaign touch keyed by its window in
/// `rapport_touches` (a primary key, so a customer is touched once per campaign and window
/// even by a writer that skips the advisory lock), and delivery claiming one message row.
extension PostgresBackend {
    /// Schema version 2: the tables of the care routines and the bin.
    static func addCareTables(_ connection: Connection) throws {
        // Only the keys set away from their defaults, in the key's canonical unit, as a store keeps them.
        try connection.execute("CREATE TABLE IF NOT EXISTS rapport_policy (key text PRIMARY KEY, value double precision NOT NULL)")
        // campaign: the name lowercased (names compare ignoring case); window_key: `touchWindow`.
        try connection.execute("CREATE TABLE IF NOT EXISTS rapport_touches (campaign text NOT NULL, customer text NOT NULL, window_key bigint NOT NULL, PRIMARY KEY (campaign, customer, window_key))")
        try addBinTables(connection)
    }

    /// What `readState` reads beyond the version and sequence: the policy.
    func readCareState() throws {
        var overrides: [String: Double] = [:]
        for row in try connection.execute("SELECT key, value FROM rapport_policy") {
            if let key = row[0], let value = row[1].flatMap({ Double($0) }) { overrides[key] = value }
        }
        policyRead = Policy(overrides: overrides)
    }

    /// Inside the commit's transaction: the policy keys it sets, and the touches of a campaign run.
    func writeCare(_ set: ChangeSet) throws {
        var policy = policyRead
        for change in set.policyChanges {
            policy.set(change.key, to: change.after)
            guard let name = PolicyCatalogue.key(named: change.key)?.name else { continue }
            if let value = policy.overrides[name] {
                try connection.execute("INSERT INTO rapport_policy VALUES ($1, $2::double precision) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                       [name, String(value)])
            } else {
                try connection.execute("DELETE FROM rapport_policy WHERE key = $1", [name])
            }
        }
        try recordTouches(set)
        try writeBinChanges(set)
    }

    /// One row per customer a campaign run touches (by a message or a touchpoint) in the
    /// run's window: a second row for the same campaign, customer and window violates the
    /// primary key, and the whole run is rolled back.
    private func recordTouches(_ set: ChangeSet) throws {
        guard let every = set.campaignEvery else { return }
        var runAt = set.pinnedNow ?? set.at
        for change in set.changes where change.kind == .insert && change.entity == .runs {
            if case .instant(let at)? = change.after["at"] { runAt = at }
        }
        let window = Self.touchWindow(at: runAt, everyDays: every)
        var seen = Set<[String]>()
        var campaigns: [String] = [], customers: [String] = []
        for change in set.changes where change.kind == .insert && (change.entity == .messages || change.entity == .touchpoints) {
            guard case .string(let campaign)? = change.after["campaign"], case .string(let customer)? = change.after[RecordField.customer] else { continue }
            // A block with two sends writes two messages per customer: one touch.
            guard seen.insert([campaign.lowercased(), customer]).inserted else { continue }
            campaigns.append(campaign.lowercased())
            customers.append(customer)
        }
        guard !campaigns.isEmpty else { return }
        try connection.execute("INSERT INTO rapport_touches (campaign, customer, window_key) SELECT c, u, $3::bigint FROM unnest($1::text[], $2::text[]) AS t(c, u)",
                               [SQLTranslation.arrayLiteral(campaigns), SQLTranslation.arrayLiteral(customers), String(window)])
    }

    /// The window a touch at `at` (seconds since 1970) falls in, for a campaign that touches
    /// a customer again after `everyDays`: windows `everyDays` long from 1970, so two runs at
    /// least `everyDays` apart (the only ones `every` lets touch a customer twice) never
    /// share one; without `every` (infinity) a single window, ever.
    static func touchWindow(at: Int64, everyDays: Double) -> Int64 {
        let seconds = everyDays * 86_400
        guard seconds.isFinite else { return 0 }
        guard seconds >= 1 else { return at }
        return Int64((Double(at) / seconds).rounded(.down))
    }

    /// The message's row locked for this transaction (`FOR UPDATE SKIP LOCKED`): another
    /// deliverer handing it over holds it, and then this one skips it (nil) rather than wait.
    /// The outcome's commit joins the transaction, so the lock lasts until it is recorded.
    public func withDeliveryClaim<T>(_ id: String, _ body: ([String: Value]?) throws -> T) throws -> T {
        try connection.transaction {
            let claimed = try connection.execute("SELECT id FROM messages WHERE id = $1 FOR UPDATE SKIP LOCKED", [id])
            guard !claimed.isEmpty else { return try body(nil) }
            return try body(records(.messages, ids: [id], fields: nil)[id])
        }
    }

    /// The `messages` table is the outbox: delivery reads it, no files are written.
    public var outboxDirectory: String? { nil }
}
