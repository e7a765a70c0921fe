/// File paths as plain strings, taken apart and put together without Foundation:
/// `NSString`'s path methods and `FileManager.createDirectory` trap on some inputs
/// on Linux (one-character names among them), and no path a user types may crash us.
/// Only "/" separates; nothing here touches the disk.
public enum Path {
    /// The names between the slashes, empty ones dropped: `"/a//b/"` gives `["a", "b"]`.
    /// `"."` and `".."` are kept as written.
    public static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    public static func isAbsolute(_ path: String) -> Bool { path.hasPrefix("/") }

    /// The last name in the path, trailing slashes ignored: `"a/b/"` gives `"b"`,
    /// `"/"` gives `"/"`, `""` gives `""`.
    public static func lastComponent(_ path: String) -> String {
        if let last = components(path).last { return last }
        return isAbsolute(path) ? "/" : ""
    }

    /// The directory that holds the path, as dirname(1) gives it: `"a/b"` gives `"a"`,
    /// `"a"` and `""` give `"."`, `"/a"` and `"/"` give `"/"`.
    public static func parent(_ path: String) -> String {
        let names = components(path)
        if names.count <= 1 { return isAbsolute(path) ? "/" : "." }
        let joined = names.dropLast().joined(separator: "/")
        return isAbsolute(path) ? "/" + joined : joined
    }

    /// `name` inside `directory`, one slash between: `join("a/", "b")` gives `"a/b"`. An
    /// empty directory gives `name`; an absolute `name` stays as it is.
    public static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty || isAbsolute(name) { return name }
        if name.isEmpty { return directory }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The part of the last name after its last dot, without the dot; empty when there
    /// is none or the name only starts with one (`".csv"` is a hidden file, not a type).
    public static func fileExtension(_ path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// Each directory from the outermost to the path itself: `"a/b/c"` gives
    /// `["a", "a/b", "a/b/c"]`, `"/x/y"` gives `["/x", "/x/y"]`. What `mkdir -p` creates
    /// in turn.
    public static func prefixes(_ path: String) -> [String] {
        var current = isAbsolute(path) ? "/" : ""
        var result: [String] = []
        for name in components(path) {
            current = current.isEmpty ? name : (current == "/" ? "/" + name : current + "/" + name)
            result.append(current)
        }
        return result
    }
}
