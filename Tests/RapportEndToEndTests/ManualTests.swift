import Foundation
import XCTest

/// The README and docs/ are the user's whole manual: every link they hold points at a file
/// inside the repository, and none reaches outside it.
final class ManualTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func manualPages() throws -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let pages = try FileManager.default.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }
        return [root.appendingPathComponent("README.md")] + pages
    }

    func testEveryLinkStaysInsideTheRepositoryAndLeadsToAFile() throws {
        let link = try NSRegularExpression(pattern: #"\]\(([^)#\s]+)(#[^)]*)?\)"#)
        var checked = 0
        for page in try manualPages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            XCTAssertFalse(text.contains("../shared"), "\(page.lastPathComponent) refers to ../shared, outside the repository")
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(match.range(at: 1), in: text)!])
                if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { continue }
                let resolved = page.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL
                XCTAssertTrue(resolved.path.hasPrefix(root.standardizedFileURL.path + "/"),
                              "\(page.lastPathComponent) links outside the repository: \(target)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: resolved.path),
                              "\(page.lastPathComponent) links to a missing file: \(target)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10, "the manual's pages link to each other")
    }
}
