import Foundation

/// `edit`: the last command (or a new campaign block) in `$VISUAL` / `$EDITOR`, as
/// psql's `\e` does; what is saved comes back to be run.
enum ExternalEditor {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`.
    static func command(_ environment: [String: String]) -> String {
        for name in ["VISUAL", "EDITOR"] {
            if let value = environment[name], !value.trimmingCharacters(in: .whitespaces).isEmpty { return value }
        }
        return "vi"
    }

    /// Opens `text` in the editor; returns the file's text once the editor exits.
    static func edit(_ text: String, command: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/rapport-edit-XXXXXX.rq").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 3) }
        guard fd >= 0 else { throw Failure(description: "cannot create a file to edit in \(NSTemporaryDirectory())") }
        let path = String(cString: template)
        defer { unlink(path) }
        var bytes = Array(text.utf8)
        let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw Failure(description: "cannot write \(path)") }

        let status: Int32
        do { status = try ChildProcess.run(command + " \"$1\"", arguments: [path]) } catch {
            throw Failure(description: "cannot start the editor '\(command)': \(error)")
        }
        guard status == 0 else {
            throw Failure(description: "the editor '\(command)' exited with status \(status); nothing was run")
        }
        guard let data = FileManager.default.contents(atPath: path), let edited = String(data: data, encoding: .utf8) else {
            throw Failure(description: "the edited file is not UTF-8 text; nothing was run")
        }
        return edited
    }
}
