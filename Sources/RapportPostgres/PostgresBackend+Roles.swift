import Foundation
import RapportCore

/// Rapport's roles as PostgreSQL group roles (docs/postgres.md "Roles"): `init` makes
/// `rapport_trainee` ... `rapport_admin` (NOLOGIN), grants each the table privileges its
/// Rapport role needs (and makes it a member of the role below, for `SET ROLE` lower), and records in `rapport_meta` that this database uses them. A login
/// role's grant is its membership in one of them; a session `SET ROLE`s to the group of its
/// role, so the database refuses what the role may not do, whoever sends the statement.
extension PostgresBackend {
    /// Set in `rapport_meta` once `init` has given this database's tables to the group roles.
    static let rolesMetaKey = "roles"

    static func groupRole(_ role: Role) -> String { "rapport_" + role.rawValue }
    static var groupRoles: [String] { Role.allCases.map(groupRole) }

    /// The privileges a role adds to those of the roles below it.
    private static func privileges(of role: Role, entityTables tables: String, binTables bins: String) -> [String] {
        switch role {
        case .trainee: ["SELECT ON \(tables), \(bins), rapport_ids, rapport_touches"]
        // Adding a customer, logging a contact, updating one customer; the audit row and id mark with
        // it; a campaign's touches (an agent runs campaigns).
        case .agent: ["INSERT, UPDATE ON \(tables)", "INSERT ON rapport_audit, rapport_touches", "INSERT, UPDATE ON rapport_ids"]
        // The audit trail holds every old value (docs/roles.md): a manager's to read.
        case .manager: ["SELECT ON rapport_audit"]
        // Deleting (into the bin), restoring, purging and the policy are an admin's.
        case .admin: ["DELETE, TRUNCATE ON \(tables), rapport_audit, rapport_ids, rapport_touches",
                      "INSERT, UPDATE, DELETE ON rapport_meta, rapport_policy, \(bins)"]
        }
    }

    /// Makes the group roles (once per server: roles belong to the cluster, so an `init` of
    /// another database may be making them at the same moment), grants them
    /// this database's tables, makes whoever runs `init` an admin. Part of `init`'s transaction.
    func setUpRoles() throws {
        let existing = Set(try connection.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])",
                                                  [SQLTranslation.arrayLiteral(Self.groupRoles)]).compactMap { $0[0] })
        for role in Role.allCases where !existing.contains(Self.groupRole(role)) {
            // An admin grants and revokes Rapport's roles: CREATEROLE, which only a SET ROLE to it uses.
            try connection.executeUnlessDone("CREATE ROLE \(SQLTranslation.quoted(Self.groupRole(role))) NOLOGIN\(role == .admin ? " CREATEROLE" : "")")
        }
        // Each group a member of the one below, so that a session may `SET ROLE` lower (`--role`).
        for (lower, higher) in zip(Role.allCases, Role.allCases.dropFirst()) {
            try connection.executeUnlessDone("GRANT \(SQLTranslation.quoted(Self.groupRole(lower))) TO \(SQLTranslation.quoted(Self.groupRole(higher)))")
        }
        let tables = Entity.stored.map(SQLTranslation.table).joined(separator: ", ")
        let bins = Entity.stored.map { Self.table($0, inBin: true) }.joined(separator: ", ")
        for role in Role.allCases {
            for lower in Role.allCases where lower <= role {
                for privilege in Self.privileges(of: lower, entityTables: tables, binTables: bins) {
                    try connection.execute("GRANT \(privilege) TO \(SQLTranslation.quoted(Self.groupRole(role)))")
                }
            }
        }
        try grantSegmentTable()
        try grantFieldTable()
        // Every session reads the schema version and the last sequence before it takes its role.
        try connection.execute("GRANT SELECT ON rapport_meta, rapport_policy TO PUBLIC")
        try connection.execute("GRANT SELECT (seq) ON rapport_audit TO PUBLIC")
        try connection.executeUnlessDone("GRANT \(SQLTranslation.quoted(Self.groupRole(.admin))) TO CURRENT_USER")
        try connection.execute("INSERT INTO rapport_meta VALUES ($1, '1') ON CONFLICT (key) DO NOTHING", [Self.rolesMetaKey])
    }

    /// Runs `body` as the login role itself (`init` grants on tables it owns), then takes
    /// the session's group role again.
    func asSessionUser<T>(_ body: () throws -> T) throws -> T {
        let current = try connection.execute("SELECT current_user").first?[0] ?? nil
        try connection.execute("RESET ROLE")
        defer {
            if let current { _ = try? connection.execute("SET ROLE \(SQLTranslation.quoted(current))") }
        }
        return try body()
    }

    /// Whether `init` has set up the roles in this database (one made before them has not:
    /// everyone may take admin there, as in a store without grants, until `init` runs again).
    /// A failed read (no right to read the meta table, a lost connection) is an error here,
    /// not "no roles": `enforce` would otherwise leave the session on its login, unchecked.
    func rolesAreSetUp() throws -> Bool {
        guard try connection.execute("SELECT to_regclass('rapport_meta') IS NOT NULL").first?[0] == "t" else { return false }
        return try !connection.execute("SELECT 1 FROM rapport_meta WHERE key = $1", [Self.rolesMetaKey]).isEmpty
    }

    /// For reads that list or show (grants, the user): nothing to list when the check fails.
    var usesRoles: Bool { (try? rolesAreSetUp()) ?? false }

    /// Each login role that is a member of a group role, with the highest it holds.
    func grantsInDatabase() -> [String: Role] {
        guard usesRoles else { return [:] }
        let members = rows("""
            SELECT m.rolname, r.rolname FROM pg_auth_members a
            JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
            WHERE r.rolname = ANY($1::text[]) AND NOT m.rolname = ANY($1::text[])
            """, [SQLTranslation.arrayLiteral(Self.groupRoles)])
        var grants: [String: Role] = [:]
        for row in members {
            guard let user = row[0], let group = row[1], let role = Role(rawValue: String(group.dropFirst("rapport_".count))) else { continue }
            grants[user] = max(grants[user] ?? role, role)
        }
        return grants
    }

    public var connectedUser: String? {
        guard usesRoles else { return nil }
        return try? connection.execute("SELECT session_user").first?[0] ?? nil
    }

    /// `SET ROLE` to the session's group: the database holds the session to its role.
    public func enforce(_ role: Role) throws {
        guard try rolesAreSetUp() else { return }
        do {
            try connection.execute("SET ROLE \(SQLTranslation.quoted(Self.groupRole(role)))")
            enforcedRole = role
        } catch {
            let user = connectedUser ?? "?"
            throw Diagnostic.runtime(.postgresRoleNotHeld, user, Self.groupRole(role), role.rawValue)
        }
    }

    /// `grant USER ROLE` / `revoke USER`: the login role's membership, in the change's transaction.
    func write(_ grantChanges: [GrantChange]) throws {
        for change in grantChanges {
            guard try !connection.execute("SELECT 1 FROM pg_roles WHERE rolname = $1", [change.user]).isEmpty else {
                throw Diagnostic.runtime(.postgresRoleMissing, change.user)
            }
            let user = SQLTranslation.quoted(change.user)
            // Every group, not only `before`: a DBA may have granted more than one.
            try connection.execute("REVOKE \(Self.groupRoles.map(SQLTranslation.quoted).joined(separator: ", ")) FROM \(user)")
            if let after = change.after {
                try connection.execute("GRANT \(SQLTranslation.quoted(Self.groupRole(after))) TO \(user)")
            }
        }
    }
}
