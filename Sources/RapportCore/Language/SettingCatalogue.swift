/// One setting of `set NAME VALUE`: read by `set`, `show settings`, the completer and help.
public struct SettingSpec: Sendable {
    public let name: String
    /// Other spellings `set` accepts.
    public let aliases: [String]
    /// The values as help shows them: `on|off`, `table|csv|json|jsonl`.
    public let valueSyntax: String
    /// The words Tab offers for the value.
    public let values: [String]
    /// The value a session starts with, unless the command line says otherwise.
    public let defaultValue: String
    /// One line for help's settings page.
    public let help: String
    public let leastRole: Role
    /// Sets it from `set NAME VALUE` (value nil when none was given).
    let apply: @Sendable (Session, String?, SourceSpan) throws -> Void
    /// Its current value, for `show settings`.
    let current: @Sendable (Session) -> String

    public var names: [String] { [name] + aliases }
}

public enum SettingCatalogue {
    public static let all: [SettingSpec] = [
        SettingSpec(name: "format", aliases: [], valueSyntax: "table|csv|json|jsonl|chart",
                    values: OutputFormat.allCases.map(\.rawValue), defaultValue: OutputFormat.table.rawValue,
                    help: "how results print (help formats); --format", leastRole: .trainee,
                    apply: { session, value, span in
                        guard let value, let format = OutputFormat(rawValue: value.lowercased()) else {
                            throw Diagnostic.usage(.settingFormatChoices, at: span)
                        }
                        session.settings.format = format
                    },
                    current: { $0.settings.format.rawValue }),
        onOff("dry-run", aliases: ["dryrun"], help: "changing commands say what they would do and change nothing; --dry-run",
              \.dryRun),
        onOff("timer", help: "how long each command took, on standard error; --timer", \.timer),
        onOff("pager", help: "long results go through $PAGER (interactive shell)", \.pager),
        onOff("colour", aliases: ["color"], help: "colour in table headers and errors (shell; NO_COLOR turns it off)", \.colour),
        SettingSpec(name: "now", aliases: [], valueSyntax: "DATE|off", values: ["off"], defaultValue: "system clock",
                    help: #"pin "today" for date maths; --now"#, leastRole: .manager,
                    apply: { session, value, span in
                        guard let value else { throw Diagnostic.usage(.settingNowNeedsValue, at: span) }
                        let word = value.lowercased()
                        if word == "off" || word == "system" {
                            session.pinnedNow = nil
                        } else if let instant = Clock.parseInstant(value, timeZone: session.clock.timeZone) {
                            session.pinnedNow = instant
                            session.clock.now = instant
                        } else {
                            throw Diagnostic.usage(.notADateOrTime, value, at: span)
                        }
                    },
                    current: { session in session.pinnedNow.map { _ in session.clock.isoString(session.clock.now) } ?? "system clock" }),
    ]

    /// The entry for a setting name or alias, in any case.
    public static func spec(named name: String) -> SettingSpec? {
        let key = name.lowercased()
        return all.first { $0.names.contains(key) }
    }

    /// Every name and alias `set` accepts.
    public static var acceptedNames: [String] { all.flatMap(\.names) }

    private static func onOff(_ name: String, aliases: [String] = [], help: String,
                              _ flag: WritableKeyPath<Settings, Bool> & Sendable) -> SettingSpec {
        SettingSpec(name: name, aliases: aliases, valueSyntax: "on|off", values: ["on", "off"], defaultValue: "off",
                    help: help, leastRole: .trainee,
                    apply: { session, value, span in
                        switch value?.lowercased() {
                        case "on", "true", "yes", "1": session.settings[keyPath: flag] = true
                        case "off", "false", "no", "0": session.settings[keyPath: flag] = false
                        default: throw Diagnostic.usage(.settingNeedsOnOff, name, at: span)
                        }
                    },
                    current: { $0.settings[keyPath: flag] ? "on" : "off" })
    }
}
