import Foundation
import XCTest
@testable import RapportCore

/// The path helpers that replace Foundation's (which trapped on one-character names).
final class PathTests: XCTestCase {
    func testComponents() {
        XCTAssertEqual(Path.components("a/b/c"), ["a", "b", "c"])
        XCTAssertEqual(Path.components("/a//b/"), ["a", "b"])
        XCTAssertEqual(Path.components("/"), [])
        XCTAssertEqual(Path.components(""), [])
        XCTAssertEqual(Path.components("./x/../y"), [".", "x", "..", "y"])
        XCTAssertEqual(Path.components("上海/中"), ["上海", "中"])
    }

    func testLastComponent() {
        XCTAssertEqual(Path.lastComponent("d"), "d")
        XCTAssertEqual(Path.lastComponent("中"), "中")
        XCTAssertEqual(Path.lastComponent("/home/anna/crm"), "crm")
        XCTAssertEqual(Path.lastComponent("crm/"), "crm")
        XCTAssertEqual(Path.lastComponent("a//"), "a")
        XCTAssertEqual(Path.lastComponent("/"), "/")
        XCTAssertEqual(Path.lastComponent("//"), "/")
        XCTAssertEqual(Path.lastComponent("."), ".")
        XCTAssertEqual(Path.lastComponent(".."), "..")
        XCTAssertEqual(Path.lastComponent(""), "")
    }

    func testParentIsWhatDirnameSays() {
        XCTAssertEqual(Path.parent("f/g"), "f")
        XCTAssertEqual(Path.parent("j"), ".")
        XCTAssertEqual(Path.parent("中"), ".")
        XCTAssertEqual(Path.parent("/a"), "/")
        XCTAssertEqual(Path.parent("/"), "/")
        XCTAssertEqual(Path.parent("/a/b/"), "/a")
        XCTAssertEqual(Path.parent("a//b"), "a")
        XCTAssertEqual(Path.parent("."), ".")
        XCTAssertEqual(Path.parent(".."), ".")
        XCTAssertEqual(Path.parent("../x"), "..")
        XCTAssertEqual(Path.parent(""), ".")
        XCTAssertEqual(Path.parent("上海/客户/中"), "上海/客户")
    }

    func testJoin() {
        XCTAssertEqual(Path.join("a", "b"), "a/b")
        XCTAssertEqual(Path.join("a/", "b"), "a/b")
        XCTAssertEqual(Path.join("/", "b"), "/b")
        XCTAssertEqual(Path.join("", "b"), "b")
        XCTAssertEqual(Path.join("a", ""), "a")
        XCTAssertEqual(Path.join("a", "/abs"), "/abs")
        XCTAssertEqual(Path.join("中", "文"), "中/文")
    }

    func testFileExtension() {
        XCTAssertEqual(Path.fileExtension("customers.csv"), "csv")
        XCTAssertEqual(Path.fileExtension("dir.d/file"), "")
        XCTAssertEqual(Path.fileExtension("a.tar.gz"), "gz")
        XCTAssertEqual(Path.fileExtension(".csv"), "")
        XCTAssertEqual(Path.fileExtension("j"), "")
        XCTAssertEqual(Path.fileExtension("x."), "")
        XCTAssertEqual(Path.fileExtension("客户.JSONL/"), "JSONL")
        XCTAssertEqual(Path.fileExtension(""), "")
    }

    func testPrefixesAreWhatMkdirPCreatesInTurn() {
        XCTAssertEqual(Path.prefixes("a/b/c"), ["a", "a/b", "a/b/c"])
        XCTAssertEqual(Path.prefixes("/x/y/"), ["/x", "/x/y"])
        XCTAssertEqual(Path.prefixes("d"), ["d"])
        XCTAssertEqual(Path.prefixes("/"), [])
        XCTAssertEqual(Path.prefixes(""), [])
    }

    // MARK: Creating directories

    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "rapport-path-" + UUID().uuidString
        try FileSystem.createDirectory(root)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    func testCreateDirectoryMakesMissingParentsWithTheirModes() throws {
        for name in ["d", "中", "f/g", "上海/客户/j", "x/./y/../z", "t/"] {
            let path = root + "/" + name
            try FileSystem.createDirectory(path)
            XCTAssertTrue(FileSystem.isDirectory(path), name)
            // Again: an existing directory is fine.
            try FileSystem.createDirectory(path)
        }
        var st = stat()
        XCTAssertEqual(stat(root + "/f/g", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        XCTAssertEqual(stat(root + "/f", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o755 & ~currentUmask())
    }

    func testCreateDirectoryUnderAFileNamesTheFile() throws {
        try FileSystem.writeAtomically([1], to: root + "/file")
        XCTAssertThrowsError(try FileSystem.createDirectory(root + "/file/sub")) { error in
            XCTAssertEqual("\(error)", "cannot create a directory under \(root)/file: Not a directory")
        }
        XCTAssertThrowsError(try FileSystem.createDirectory(root + "/file")) { error in
            XCTAssertTrue("\(error)".contains("Not a directory"), "\(error)")
        }
        XCTAssertThrowsError(try FileSystem.createDirectory(""))
    }

    func testDirectoryEntriesAndSameFile() throws {
        try FileSystem.createDirectory(root + "/a")
        try FileSystem.writeAtomically([], to: root + "/中")
        XCTAssertEqual(try FileSystem.directoryEntries(root).sorted(), ["a", "中"])
        XCTAssertEqual(try FileSystem.directoryEntries(root + "/a"), [])
        XCTAssertThrowsError(try FileSystem.directoryEntries(root + "/missing"))
        XCTAssertTrue(FileSystem.isSameFile(root + "/a", root + "/./a/"))
        XCTAssertFalse(FileSystem.isSameFile(root + "/a", root))
        XCTAssertFalse(FileSystem.isSameFile(root + "/missing", root + "/missing"))
    }

    private func currentUmask() -> mode_t {
        let mask = umask(0)
        umask(mask)
        return mask
    }
}
