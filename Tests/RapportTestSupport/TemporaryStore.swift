import Foundation
import RapportCore

/// A store directory of one test's own, and a folder beside it for the files the test
/// imports or exports; both are removed when the test lets go of it.
public final class TemporaryStore {
    /// Where the store lives; it does not exist until rapport creates it.
    public let path: String
    /// A folder for input and output files, kept apart so that the store holds only its own.
    public let files: String

    public init(_ label: String = "test") {
        let base = NSTemporaryDirectory() + "rapport-\(label)-\(UUID().uuidString)"
        path = base + "/store"
        files = base + "/files"
        try? FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }

    /// Writes `contents` to `name` in `files` and returns its path.
    @discardableResult
    public func file(_ name: String, _ contents: String) throws -> String {
        let filePath = files + "/" + name
        try contents.write(toFile: filePath, atomically: true, encoding: .utf8)
        return filePath
    }

    /// Runs the binary on this store, at a fixed time in UTC so that ages do not drift.
    /// `faults`: disk faults to inject (`RAPPORT_TEST_FAULTS`, see FaultInjection.swift).
    public func run(_ arguments: [String], stdin: String? = nil, now: String = RecordBuilder.defaultNow,
                    faults: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", path, "--now", now, "--timezone", "UTC"] + arguments, stdin: stdin,
                          environment: faults.map { ["RAPPORT_TEST_FAULTS": $0] } ?? [:])
    }

    /// The store opened in this process, for looking at what the binary left.
    public func open(readOnly: Bool = true) throws -> Database {
        try Database.open(directory: path, readOnly: readOnly)
    }
}
