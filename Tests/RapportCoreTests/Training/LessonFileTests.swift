import Foundation
import XCTest
@testable import RapportCore

final class LessonFileTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let utc = TimeZone(identifier: "UTC")!

    /// The embedded lessons are the files in lessons/, byte for byte: run scripts/embed-lessons
    /// after changing a lesson.
    func testBuiltInLessonsAreTheFilesInLessons() throws {
        let directory = Self.repository.appendingPathComponent("lessons").path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".lesson.md") }.sorted()
        XCTAssertEqual(BuiltInLessons.all.map(\.file).sorted(), files, "run scripts/embed-lessons")
        let order = try String(contentsOfFile: directory + "/ORDER", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0) + ".lesson.md" }
        XCTAssertEqual(BuiltInLessons.all.map(\.file), order, "the embedded lessons follow lessons/ORDER")
        for (file, text) in BuiltInLessons.all {
            let onDisk = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            XCTAssertEqual(text, onDisk, "\(file) differs from its embedded copy: run scripts/embed-lessons")
        }
    }

    /// Every built-in lesson parses, and every expect block does what it says on its
    /// sandbox; no expected query of theirs finds nothing (which any empty answer would pass).
    func testEveryBuiltInLessonLoads() throws {
        var names: Set<String> = []
        for (file, text) in BuiltInLessons.all {
            do {
                let lesson = try LessonParser.parse(text, sourceName: file, timeZone: utc)
                XCTAssertTrue(names.insert(lesson.name).inserted, "two lessons are called \(lesson.name)")
                let run = try LessonRun(lesson, timeZone: utc, user: "test")
                for w in run.warnings { XCTFail("\(file): " + DiagnosticFormatter().format(w, source: text, sourceName: file)) }
            } catch let d as Diagnostic {
                XCTFail("\(file): " + DiagnosticFormatter().format(d, source: text, sourceName: file))
            }
        }
    }

    func testTheParts() throws {
        let lesson = try LessonParser.parse("""
        # Title
        name: a-lesson
        now: 2026-11-24T09:30:00+08:00
        demo-size: 50
        summary: One line.

        ```setup
        # a comment
        log contact C000001 via phone
        ```

        ## Reading
        Some text.

        ```
        find customers
        ```

        ## Asking
        Do it.
        ```expect error unknownField
        find customers where x = 1
        ```
        hint: one
        hint: two
        """, sourceName: "t", timeZone: utc)
        XCTAssertEqual(lesson.title, "Title")
        XCTAssertEqual(lesson.name, "a-lesson")
        XCTAssertEqual(lesson.now, 1_795_483_800, "09:30 in +08:00 is 01:30 UTC")
        XCTAssertEqual(lesson.demoSize, 50)
        XCTAssertEqual(lesson.setup.map(\.text), ["log contact C000001 via phone"])
        XCTAssertEqual(lesson.setup.first?.line, 9)
        XCTAssertEqual(lesson.steps.map(\.title), ["Reading", "Asking"])
        XCTAssertNil(lesson.steps[0].check)
        XCTAssertTrue(lesson.steps[0].text.contains("find customers"), "a plain block is teaching text")
        XCTAssertEqual(lesson.steps[1].check?.kind, .error(.unknownField))
        XCTAssertEqual(lesson.steps[1].check?.commands.first?.line, 22)
        XCTAssertEqual(lesson.steps[1].hints, ["one", "two"])
    }

    func testMalformedFilesPointAtTheLine() {
        func refusal(_ text: String) -> (line: Int, message: String)? {
            do { _ = try LessonParser.parse(text, sourceName: "t", timeZone: utc) } catch let d as Diagnostic {
                XCTAssertEqual(d.id, .lessonInvalid)
                return (d.span?.start.line ?? 0, d.message)
            } catch { XCTFail("\(error)") }
            return nil
        }
        XCTAssertEqual(refusal("Title\nname: x\nnow: 2026-11-24\n## s\n")?.line, 1)
        XCTAssertEqual(refusal("# T\nname: x\n## s\n")?.message.contains("now:"), true)
        XCTAssertEqual(refusal("# T\nname: x\nnow: 2026-13-40\n## s\n")?.line, 3)
        XCTAssertEqual(refusal("# T\nname: x\nnow: 2026-11-24\ncolour: red\n## s\n")?.line, 4)
        XCTAssertEqual(refusal("# T\nname: x\nnow: 2026-11-24\n## s\n```expect query\nfind customers\n")?.line, 5)
        XCTAssertEqual(refusal("# T\nname: x\nnow: 2026-11-24\n## s\n```expect guess\nfind customers\n```\n")?.line, 5)
        XCTAssertEqual(refusal("# T\nname: two words\nnow: 2026-11-24\n## s\n")?.line, 2)
        XCTAssertEqual(refusal("# T\nname: x\nnow: 2026-11-24\n")?.message.contains("no steps"), true)
    }

    func testResultsCompareByIdOrByValuesAndOrderOnlyWithSortAndLimit() {
        let a = ResultSet(columns: ["id", "name"], rows: [[.string("C1"), .string("x")], [.string("C2"), .string("y")]])
        let reversed = ResultSet(columns: ["id", "city"], rows: [[.string("C2"), .null], [.string("C1"), .null]])
        XCTAssertNil(ResultComparison.compare(trainee: reversed, expected: a, ordered: false))
        guard case .order? = ResultComparison.compare(trainee: reversed, expected: a, ordered: true) else { return XCTFail() }
        let counts = ResultSet(columns: ["tier", "count"], rows: [[.string("gold"), .integer(3)], [.string("silver"), .integer(4)]])
        let fewer = ResultSet(columns: ["tier", "count"], rows: [[.string("silver"), .integer(4)]])
        guard case .tooFew(let missing, 1, 2)? = ResultComparison.compare(trainee: fewer, expected: counts, ordered: false) else { return XCTFail() }
        XCTAssertEqual(missing.first, [.string("gold"), .integer(3)])
        let three = ResultSet(columns: ["id", "name", "city"], rows: [])
        guard case .missingColumn("id")? = ResultComparison.compare(trainee: counts, expected: three, ordered: false) else { return XCTFail() }
    }
}
