/// One OS user's grant changed by `grant` or `revoke`: nil before is a new grant, nil
/// after a revoked one. Journalled like a policy key, before and after.
public struct GrantChange: Sendable, Equatable {
    public var user: String
    public var before: Role?
    public var after: Role?

    public init(user: String, before: Role?, after: Role?) {
        self.user = user
        self.before = before
        self.after = after
    }
}

/// The most each OS user may take in a store (`grant USER ROLE`), and who a session may
/// be (docs/roles.md, "Grants"). Pure rules; the store keeps the grants.
public enum Grants {
    /// The most `user` may take: admin for everyone while the store has no grants (its
    /// directory is 0700, so that is its creator); once one exists, the user's grant, or
    /// trainee for a user without one.
    public static func most(for user: String, in grants: [String: Role]) -> Role {
        guard !grants.isEmpty else { return .admin }
        return grants[user] ?? .trainee
    }

    /// Who a session records changes as and the role it runs as, for the OS user
    /// `osUser` asking for `requestedRole` (`--role`; nil takes the most granted) and
    /// `requestedUser` (`--user`). Refused (a runtime error): a role above the grant, and
    /// `--user` for anyone but an admin (it could put changes under another name).
    public static func session(osUser: String, grants: [String: Role], requestedRole: Role?,
                               requestedUser: String?) throws -> (user: String, role: Role) {
        let most = most(for: osUser, in: grants)
        if let requestedUser, requestedUser != osUser, most < .admin {
            throw Diagnostic(.runtime, .userOptionNeedsAdmin, [osUser, most.rawValue])
        }
        let role = requestedRole ?? most
        if role > most {
            throw Diagnostic(.runtime, .roleAboveGrant, [role.rawValue, osUser, most.rawValue])
        }
        return (requestedUser ?? osUser, role)
    }

    /// The changes `grant USER ROLE` by the OS user `granter` makes. The first grant of a
    /// store also grants `granter` admin (unless it is the grant), so whoever grants
    /// never locks themself out; lowering the last admin is refused. Empty: no change.
    public static func grant(_ user: String, _ role: Role, by granter: String, in grants: [String: Role]) throws -> [GrantChange] {
        var changes: [GrantChange] = []
        if grants[user] != role { changes.append(GrantChange(user: user, before: grants[user], after: role)) }
        if grants.isEmpty, user != granter { changes.append(GrantChange(user: granter, before: nil, after: .admin)) }
        try refuseLosingTheLastAdmin(changes, in: grants, verb: "grant", user: user, role: role)
        return changes
    }

    /// The change `revoke USER` makes; refused for a user without a grant and for the last admin.
    public static func revoke(_ user: String, in grants: [String: Role], at span: SourceSpan) throws -> GrantChange {
        guard let before = grants[user] else {
            throw Diagnostic(.runtime, .grantNotFound, [user], at: span,
                             suggestion: nearestName(to: user, among: Array(grants.keys)))
        }
        let change = GrantChange(user: user, before: before, after: nil)
        try refuseLosingTheLastAdmin([change], in: grants, verb: "revoke", user: user, role: nil)
        return change
    }

    /// The grants after `changes`.
    public static func applying(_ changes: [GrantChange], to grants: [String: Role]) -> [String: Role] {
        var result = grants
        for c in changes { result[c.user] = c.after }
        return result
    }

    /// A store whose grants leave no admin could never change its grants again.
    private static func refuseLosingTheLastAdmin(_ changes: [GrantChange], in grants: [String: Role],
                                                 verb: String, user: String, role: Role?) throws {
        let after = applying(changes, to: grants)
        guard !after.isEmpty, !after.values.contains(.admin) else { return }
        throw Diagnostic(.runtime, .lastAdminKept, [verb == "grant" ? "grant \(user) \(role?.rawValue ?? "")" : "revoke \(user)", user])
    }

    /// `show grants`: user and role, by user name.
    public static func table(_ grants: [String: Role]) -> ResultSet {
        ResultSet(columns: ["user", "role"],
                  rows: grants.sorted { $0.key < $1.key }.map { [.string($0.key), .string($0.value.rawValue)] })
    }
}
