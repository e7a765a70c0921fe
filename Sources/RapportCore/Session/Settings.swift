import Foundation

/// What a session runs as and how it prints: set from the command line and `set`.
public struct Settings {
    public var format: OutputFormat = .table
    public var dryRun = false
    public var timer = false
    public var user: String
    public var role: Role = .admin
    /// Colour in tables and errors (the shell turns it on for a terminal without NO_COLOR).
    public var colour = false
    /// Long results through a pager (the shell turns it on for a terminal).
    public var pager = false

    public init(user: String = Settings.osUser) { self.user = user }

    /// What `set NAME VALUE` knows (the catalogue's names, without aliases).
    public static var names: [String] { SettingCatalogue.all.map(\.name) }

    /// Who is logged in: `$USER`, else the password database's name for our uid.
    public static var osUser: String { FileSystem.userName }
}
