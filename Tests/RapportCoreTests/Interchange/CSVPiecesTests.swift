import XCTest
@testable import RapportCore

/// A large CSV file read in pieces gives exactly what one reading gives: the records,
/// their lines, and the first error with its line.
final class CSVPiecesTests: XCTestCase {
    /// Over a MiB of records with quoted line breaks, doubled quotes, CRLF and lone CR
    /// endings, so that some split points fall inside quoted fields.
    func bigCSV(breakAt bad: Int? = nil) -> [UInt8] {
        var text = "id,note,city\n"
        var i = 0
        while text.utf8.count < CSVReader.bytesWorthSplitting * 2 {
            i += 1
            let note: String
            switch i % 4 {
            case 0: note = "\"two\nlines, \"\"quoted\"\"\nthree\""
            case 1: note = "plain \(i)"
            case 2: note = "\"a\r\nb\""
            default: note = "q\"in the middle"
            }
            if i == bad { text += "C\(i),\"never closed\n" }
            text += "C\(i),\(note),上海" + (i % 7 == 0 ? "\r\n" : i % 11 == 0 ? "\r" : "\n")
        }
        return Array(text.utf8)
    }

    func testPiecesGiveTheSameRecordsAndLinesAsOneReading() throws {
        let bytes = bigCSV()
        let whole = try CSVReader.parse(String(decoding: bytes, as: UTF8.self))
        for pieces in 2...5 {
            let split = try CSVReader.parseInPieces(bytes, pieces: pieces)
            XCTAssertEqual(split.count, whole.count, "\(pieces) pieces")
            XCTAssertTrue(zip(split, whole).allSatisfy { $0.line == $1.line && $0.fields == $1.fields }, "\(pieces) pieces")
        }
    }

    func testTheFirstErrorAndItsLineAreOneReadings() throws {
        let bytes = bigCSV(breakAt: 30_000)
        var whole: CSVError?, split: CSVError?
        do { _ = try CSVReader.parse(String(decoding: bytes, as: UTF8.self)) } catch { whole = error as? CSVError }
        do { _ = try CSVReader.parseInPieces(bytes, pieces: 3) } catch { split = error as? CSVError }
        XCTAssertNotNil(whole)
        XCTAssertEqual(split, whole)
    }
}
