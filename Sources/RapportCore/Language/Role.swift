/// Who is at the keyboard, least to most trusted; each may do what those before it may.
/// The least role of each command and setting is in `CommandCatalogue` and `SettingCatalogue`.
public enum Role: String, Sendable, CaseIterable, Comparable {
    case trainee, agent, manager, admin

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
