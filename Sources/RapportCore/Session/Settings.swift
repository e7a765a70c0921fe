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

    /// What `set NAME VALUE` knows.
    public static let names = ["format", "dry-run", "timer", "now", "pager", "colour"]

    /// Who is logged in: `$USER`, else the password database's name for our uid.
    public static var osUser: String { FileSystem.userName }
}

/// Who is at the keyboard; trainees and agents may do less than managers and admins.
public enum Role: String, Sendable, CaseIterable {
    case trainee, agent, manager, admin
}
