import Foundation

/// What a session runs as and how it prints: set from the command line and `set`.
public struct Settings {
    public var format: OutputFormat = .table
    public var dryRun = false
    public var timer = false
    /// Who changes are recorded as: the OS user, or `--user`.
    public var user: String
    public var role: Role = .admin
    /// The OS user at the keyboard, whom grants name (`grant` grants them admin first).
    public var osUser = Settings.osUser
    /// Colour in tables and errors (the shell turns it on for a terminal without NO_COLOR).
    public var colour = false
    /// Long results through a pager (the shell turns it on for a terminal).
    public var pager = false

    public init(user: String = Settings.osUser) { self.user = user }

    /// What `set NAME VALUE` knows (the catalogue's names, without aliases).
    public static var names: [String] { SettingCatalogue.all.map(\.name) }

    /// Who is at the keyboard, as grants know them: the password database's name for the
    /// effective uid (not `$USER`, which anyone may set). The one exception is for tests:
    /// a debug build takes `RAPPORT_TEST_OS_USER` instead, so a test can be a second user;
    /// a release build ignores it.
    public static var osUser: String {
        #if DEBUG
        if let name = ProcessInfo.processInfo.environment["RAPPORT_TEST_OS_USER"], !name.isEmpty { return name }
        #endif
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }
}
