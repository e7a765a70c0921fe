import Foundation
import XCTest
import RapportTestSupport

/// Every built-in lesson taken through the real binary by a scripted trainee who types each
/// step's expected command (Enter on reading steps), plus wrong answers on built-in steps
/// that must get the hint the step is about. The answers come from the lesson files
/// themselves, so a lesson edited into something its sandbox cannot pass fails here.
final class BuiltInLessonTests: XCTestCase {
    private static let lessons = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("lessons")

    /// A step's answer: its expect block's lines (comments dropped), or "" for a reading step.
    private struct Step { var title: String; var kind: String?; var answer: [String] }

    private static func steps(of text: String) -> [Step] {
        var steps: [Step] = []
        var inFence = false, fenceKind: String?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if inFence { inFence = false; continue }
                inFence = true
                let info = line.dropFirst(3).split(separator: " ")
                fenceKind = info.first == "expect" ? info.dropFirst().first.map(String.init) : nil
                if fenceKind != nil, !steps.isEmpty { steps[steps.count - 1].kind = fenceKind }
                continue
            }
            if inFence {
                if fenceKind != nil, !steps.isEmpty, !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                    steps[steps.count - 1].answer.append(line)
                }
                continue
            }
            if line.hasPrefix("## ") { steps.append(Step(title: String(line.dropFirst(3)), kind: nil, answer: [])) }
        }
        return steps
    }

    private func take(_ lines: [String], home: String) -> (status: Int32, stdout: String, stderr: String) {
        // A lesson runs on its own sandbox, never on the session's store (docs/training.md), so
        // the session's demo is empty: generating 5,000 customers per lesson cost a minute.
        let result = RapportRunner.run(["--demo", "--demo-size", "0", "-"], stdin: lines.joined(separator: "\n") + "\n",
                                       environment: ["HOME": home, "XDG_STATE_HOME": home + "/state"])
        return (result.status, result.stdout, result.stderr)
    }

    private func freshHome() throws -> String {
        let home = NSTemporaryDirectory() + "rapport-lessons-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: home) }
        return home
    }

    func testEveryBuiltInLessonCanBeCompletedByTypingItsAnswers() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.lessons.path)
            .filter { $0.hasSuffix(".lesson.md") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 12)
        let home = try freshHome()
        for file in files {
            let text = try String(contentsOf: Self.lessons.appendingPathComponent(file), encoding: .utf8)
            let name = file.replacingOccurrences(of: ".lesson.md", with: "")
            let steps = Self.steps(of: text)
            XCTAssertGreaterThanOrEqual(steps.count, 2, file)
            var input = ["tutorial \(name)"]
            for step in steps { input += step.kind == nil ? [""] : step.answer }
            input.append("tutorial")
            let run = take(input, home: home)
            XCTAssertEqual(run.status, 0, "\(file): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("warning:"), "\(file): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains("lesson \(name) complete"), "\(file) was not completed:\n\(run.stdout.suffix(1500))")
            XCTAssertFalse(run.stdout.contains("✗"), "\(file): an expected answer was judged wrong:\n\(run.stdout)")
            let checked = steps.filter { $0.kind != nil }.count
            XCTAssertEqual(run.stdout.components(separatedBy: "\n✓").count - 1, checked, "\(file): one ✓ per checked step")
            XCTAssertNotNil(run.stdout.range(of: "\(name) +done \\(", options: .regularExpression), "\(file): listed as done")
        }
    }

    /// Wrong answers on built-in steps: each must get the hint that names what differs.
    func testWrongAnswersOnBuiltInStepsGetTheHintThatNamesTheDifference() throws {
        let home = try freshHome()
        // first-queries, step 3 (gold in 上海): the city left out, then a city too many.
        let queries = take(["tutorial first-queries", "", "find customers where tier = gold", "find customers where tier = gold",
                            "find customers where tier = gold and city = 上海 and lastContact <= 14d",
                            "find customers where tier = gold and city = 上海", "quit"], home: home)
        XCTAssertTrue(queries.stdout.contains("✗ too many rows: 30 where the answer has"), queries.stdout)
        XCTAssertTrue(queries.stdout.contains("your query does not consider city"), queries.stdout)
        XCTAssertNotNil(queries.stdout.range(of: "✗ too few rows: \\d+ where the answer has \\d+; for example C\\d+ is missing: your condition on lastContact leaves it out",
                                             options: .regularExpression), queries.stdout)
        XCTAssertEqual(queries.stdout.components(separatedBy: "\n✓").count - 1, 2, queries.stdout)

        // complaints: closing without a satisfaction score is the step's error; any other
        // error is not, and a change made instead is put back.
        let complaints = try String(contentsOf: Self.lessons.appendingPathComponent("complaints.lesson.md"), encoding: .utf8)
        let steps = Self.steps(of: complaints)
        guard let errorStep = steps.firstIndex(where: { $0.kind == "error" }) else { return XCTFail("complaints has an error step") }
        var input = ["tutorial complaints"]
        for step in steps[..<errorStep] { input += step.kind == nil ? [""] : step.answer }
        input += ["close ticket T999999", "hint"] + steps[errorStep].answer + ["quit"]
        let complaint = take(input, home: home)
        XCTAssertTrue(complaint.stdout.contains("✗"), complaint.stdout)
        XCTAssertTrue(complaint.stdout.contains("complaintNeedsSatisfaction"), complaint.stdout)
        XCTAssertTrue(complaint.stdout.contains("✓ that is the error this step is about (complaintNeedsSatisfaction)"), complaint.stdout)
    }

    /// A change step answered with a change that changes nothing (the record already held
    /// that value) is a ✗, not silence; a look around (a query) stays without a verdict.
    func testAChangeThatChangesNothingIsWrongAndALookIsNotJudged() throws {
        let home = try freshHome()
        let run = take(["tutorial first-changes", "find customers where id = C000002",
                        "update customers where id = C000003 set tier = silver",
                        "update customers where id = C000002 set tier = silver", "quit"], home: home)
        XCTAssertTrue(run.stdout.contains("✗ that changed nothing"), run.stdout)
        XCTAssertEqual(run.stdout.components(separatedBy: "\n✗").count - 1, 1, run.stdout)
        XCTAssertTrue(run.stdout.contains("✓ the sandbox is as the step asks"), run.stdout)
    }

    /// A count against a count: the hint says the trainee's number, not rows and examples.
    func testAWrongCountIsAnsweredAsANumber() throws {
        let home = try freshHome()
        let lessonFile = home + "/count.lesson.md"
        try """
        # 金卡客户
        name: jinka
        now: 2026-11-24
        summary: 数一数金卡客户。

        ## 金卡客户有多少
        数一数金卡客户。

        ```expect query
        count customers where tier = gold
        ```
        hint: 用 `count`。
        """.write(toFile: lessonFile, atomically: true, encoding: .utf8)
        let run = take(["tutorial \"\(lessonFile)\"", "count customers where tier = silver", "count customers where tier = gold"], home: home)
        XCTAssertNotNil(run.stdout.range(of: "✗ your answer is \\d+, and the step's answer is another value", options: .regularExpression), run.stdout)
        XCTAssertTrue(run.stdout.contains("lesson jinka complete"), run.stdout)
    }
}
