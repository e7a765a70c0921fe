import CEditLine
import Foundation
import RapportCore

/// The interactive shell: a prompt, line editing and history through libedit.
struct InteractiveLoop {
    let session: Session
    let options: Options

    func run() -> Int32 {
        let customers = session.store.customers.liveCount
        let storeName = session.database.directory.map { ($0 as NSString).lastPathComponent } ?? "demo"
        print("Rapport \(Rapport.version): store '\(storeName)' with \(customers) customers. Type help for commands, Ctrl-D to leave.")
        session.settings.colour = ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let prompt = "\(storeName) (\(session.settings.role.rawValue))> "
        var pending = ""
        while true {
            guard let raw = readline(pending.isEmpty ? prompt : String(repeating: " ", count: max(prompt.count - 4, 0)) + "...> ") else {
                print("")
                break
            }
            let line = String(cString: raw)
            free(raw)
            pending += pending.isEmpty ? line : "\n" + line
            if ScriptReader.isUnfinished(pending) { continue }
            let command = pending
            pending = ""
            let trimmed = command.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if !command.hasPrefix(" ") { add_history(command) }
            if ["exit", "quit", "\\q", ".quit"].contains(trimmed.lowercased()) { break }
            let outcome = session.run(command)
            Rapport.write(outcome)
        }
        return 0
    }
}
