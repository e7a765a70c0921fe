import Foundation
import XCTest
@testable import RapportCore

/// The import's byte-level fast paths against the general code they stand in for: the
/// same cells, keys and answers on tricky input, or the general code taking over.
final class ImportFastPathTests: XCTestCase {
    // MARK: UTF-8

    func testUTF8CheckAgreesWithTheStandardLibrary() {
        let edges: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), Array("王芳 ＠ 全角".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0x9F, 0x80], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0x80], [0xBF], [0xFE], [0xFF], [0xE4, 0xB8], [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xE4, 0xB8],
            Array("abcdefgh".utf8) + [0xFF] + Array("abcdefgh".utf8),
        ]
        for bytes in edges { assertUTF8CheckAgrees(bytes) }
        // Random sequences, mostly high bytes so that every branch is taken.
        var generator = SplitMix64(seed: 16)
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 13)
            let bytes = (0..<count).map { _ -> UInt8 in
                let r = generator.next()
                return r & 1 == 0 ? UInt8(0x80 | (r >> 8) & 0x7F) : UInt8((r >> 8) & 0x7F)
            }
            assertUTF8CheckAgrees(bytes)
        }
        // Valid multi-byte text cut at every byte.
        let text = Array("a王b😀c ü\u{10FFFF}".utf8)
        for end in 0...text.count { assertUTF8CheckAgrees(Array(text[0..<end])) }
    }

    private func assertUTF8CheckAgrees(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let fast = bytes.withUnsafeBufferPointer { JSONScanner.isValidUTF8($0) }
        XCTAssertEqual(fast, String(validating: bytes, as: UTF8.self) != nil, "\(bytes)", file: file, line: line)
    }

    // MARK: JSON strings

    /// Up to 39 bytes drawn from `alphabet`, or in some runs mostly plain text (`a`), so that
    /// word-at-a-time scans step over whole words too.
    private func crowdedBytes(_ generator: inout SplitMix64, from alphabet: [UInt8]) -> [UInt8] {
        let count = Int(generator.next() % 40)
        let plain = generator.next() % 4
        return (0..<count).map { _ -> UInt8 in
            let r = generator.next()
            return r % 4 < plain ? 0x61 : alphabet[Int((r >> 8) % UInt64(alphabet.count))]
        }
    }

    /// The word-at-a-time stop (quote, backslash, control byte) against a byte loop, from
    /// every start, on bytes crowded with the bytes it must stop at and the bytes a borrow
    /// could mistake for them (0x20, 0x21, 0x23, 0x5B, 0x5D, 0x80, 0xA2, 0xDC, 0xFF).
    func testStringStopIsTheByteLoopsStop() {
        let alphabet: [UInt8] = [0x22, 0x5C, 0x00, 0x01, 0x1F, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x61, 0x7F, 0x80, 0xA2, 0xDC, 0xFF]
        forEveryStart(inCrowdedBytes: alphabet, seed: 1616) { bytes, buffer, start in
            let expected = (start..<bytes.count).first { bytes[$0] == 0x22 || bytes[$0] == 0x5C || bytes[$0] < 0x20 } ?? bytes.count
            XCTAssertEqual(JSONScanner.stringStop(buffer, from: start), expected, "\(bytes) from \(start)")
        }
    }

    /// `body` for every start (the end included) of 5,000 runs of `crowdedBytes`.
    private func forEveryStart(inCrowdedBytes alphabet: [UInt8], seed: UInt64,
                               _ body: (_ bytes: [UInt8], _ buffer: UnsafeBufferPointer<UInt8>, _ start: Int) -> Void) {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<5_000 {
            let bytes = crowdedBytes(&generator, from: alphabet)
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...bytes.count { body(bytes, buffer, start) }
            }
        }
    }

    /// Strings read with the word-at-a-time scan are the byte loop's strings, and its errors
    /// (message and offset) on bad ones: escapes, surrogates, control characters and
    /// non-ASCII text at every place around an eight-byte word's edges.
    func testStringsReadByWordsAreTheByteLoopsStrings() {
        let pieces = [#"\""#, #"\\"#, #"\/"#, #"\n"#, #"\t"#, #"\u00e9"#, #"\ud83d\ude00"#, #"\ud83d"#, #"\ude00x"#, #"\ud83d\u0041"#,
                      #"\x"#, #"\u12"#, #"\uzzzz"#, "é", "王", "😀", "\u{1}", "\t", "\u{1F}", " ", "\u{7F}", "\"", "\\"]
        var inputs: [[UInt8]] = []
        for piece in pieces {
            for before in 0...9 {
                for after in [0, 1, 7, 8, 9] {
                    let text = String(repeating: "a", count: before) + piece + String(repeating: "b", count: after)
                    inputs.append(Array(("\"" + text + "\"").utf8))
                    inputs.append(Array(("\"" + text).utf8))
                }
            }
        }
        inputs.append(Array(#""abcdefgh"#.utf8) + [0xC3, 0x28] + Array(#"ijklmnop""#.utf8))
        inputs.append(Array(#""abcdefg"#.utf8) + [0xE2, 0x82] + Array(#"""#.utf8))
        for bytes in inputs {
            for validated in [false, true] where !validated || bytes.withUnsafeBufferPointer({ JSONScanner.isValidUTF8($0) }) {
                let fast: String = bytes.withUnsafeBufferPointer { buffer in
                    var scanner = JSONScanner(bytes: buffer)
                    scanner.utf8IsValidated = validated
                    do {
                        let s = try scanner.readString()
                        return "string \(s.unicodeScalars.map(\.value)) to \(scanner.offset)"
                    } catch let e as JSONSyntaxError {
                        return "error \(e.message) at \(e.offset)"
                    } catch { return "\(error)" }
                }
                XCTAssertEqual(fast, byteLoopString(bytes), String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// The string reader as it was, a byte at a time (the reference for the scan above).
    private func byteLoopString(_ bytes: [UInt8]) -> String {
        var offset = 1
        var out: [UInt8] = []
        func hex4() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let d = UInt32(String(UnicodeScalar(bytes[offset])), radix: 16) else { return nil }
                v = v << 4 | d
                offset += 1
            }
            return v
        }
        while offset < bytes.count {
            let b = bytes[offset]
            if b == 0x22 {
                guard let s = String(validating: out, as: UTF8.self) else { return "error invalid UTF-8 in a string at 1" }
                return "string \(s.unicodeScalars.map(\.value)) to \(offset + 1)"
            }
            if b < 0x20 { return "error control character in a string at \(offset)" }
            offset += 1
            guard b == 0x5C else { out.append(b); continue }
            guard offset < bytes.count else { break }
            let e = bytes[offset]
            offset += 1
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return "error bad \\u escape at \(offset)" }
                if (0xD800...0xDBFF).contains(scalar) {
                    guard offset + 1 < bytes.count, bytes[offset] == 0x5C, bytes[offset + 1] == UInt8(ascii: "u") else {
                        return "error lone surrogate in a string at \(offset)"
                    }
                    offset += 2
                    guard let low = hex4() else { return "error bad \\u escape at \(offset)" }
                    guard (0xDC00...0xDFFF).contains(low) else { return "error lone surrogate in a string at \(offset)" }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { return "error lone surrogate in a string at \(offset)" }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: return "error bad escape in a string at \(offset)"
            }
        }
        return "error unterminated string at 0"
    }

    /// Short decimals read from bytes are `strtod`'s doubles bit for bit (-0, the 15-digit
    /// edge, leading zeros, every place of the point), and anything else is left to it.
    func testShortDecimalsAreStrtodsDoubles() {
        var texts = ["0", "-0", "0.0", "-0.0", "1", "451.78", "-451.78", "0.1", "0.3", "00.5", "007", "999999999999999",
                     "99999999999999.9", "0.000000000000001", "-9.99999999999999", "123456789012345", "1234567890123456",
                     "1.", ".5", "-", "", "1e3", "1.5E-2", "+1", " 1", "1 ", "1.2.3", "--1", "0x10", "١٢", "12a", "-.5"]
        var generator = SplitMix64(seed: 53)
        for _ in 0..<50_000 {
            let count = 1 + Int(generator.next() % 17)
            var digits = String((0..<count).map { _ in Character(String(generator.next() % 10)) })
            let point = Int(generator.next() % UInt64(count + 1))
            if point > 0, point < count { digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point)) }
            texts.append(generator.next() % 3 == 0 ? "-" + digits : digits)
        }
        for text in texts {
            let fast = Array(text.utf8).withUnsafeBufferPointer { JSONScanner.shortDecimal($0) }
            let digitCount = text.filter(\.isNumber).count
            let simple = text.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil
            if simple, digitCount <= 15 {
                XCTAssertEqual(fast?.bitPattern, Double(text)?.bitPattern, text)
            } else {
                XCTAssertNil(fast, text)
            }
        }
    }

    /// Short whole numbers read from bytes are `Int64(String)`'s values (-0, leading zeros,
    /// the 18-digit edge), and anything else is left to it.
    func testShortIntegersAreInt64sValues() {
        var texts = ["0", "-0", "1", "-1", "007", "-007", "569", "999999999999999999", "-999999999999999999",
                     "1000000000000000000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                     "", "-", "+1", " 1", "1 ", "1.0", "1e3", "--1", "0x10", "١٢", "12a", "-+1", "1-"]
        var generator = SplitMix64(seed: 61)
        for _ in 0..<50_000 {
            let count = 1 + Int(generator.next() % 20)
            let digits = String((0..<count).map { _ in Character(String(generator.next() % 10)) })
            texts.append(generator.next() % 3 == 0 ? "-" + digits : digits)
        }
        for text in texts {
            let fast = Array(text.utf8).withUnsafeBufferPointer { Importer.shortInteger($0) }
            let simple = text.range(of: #"^-?[0-9]{1,18}$"#, options: .regularExpression) != nil
            if simple {
                XCTAssertEqual(fast, Int64(text), text)
            } else {
                XCTAssertNil(fast, text)
            }
        }
    }

    /// The id table's first slot for a hash, read ahead by resolve, is the slot `first`
    /// looks in: empty before the key is held, holding it after.
    func testFirstSlotIsWhereTheKeyIsLookedFor() {
        var table = FirstIndexTable(capacity: 1_000)
        var generator = SplitMix64(seed: 67)
        for index in 0..<1_000 {
            let hash = Int(bitPattern: UInt(generator.next()))
            let before = table.firstSlot(hash: hash)
            XCTAssertNil(table.first(hash: hash, index: index, isSameKey: { _ in false }))
            // Empty before (or another key's), and then not empty.
            if before == 0 { XCTAssertEqual(table.firstSlot(hash: hash) & 0xFFFF_FFFF, UInt64(index + 1)) }
            XCTAssertNotEqual(table.firstSlot(hash: hash), 0)
        }
    }

    /// A CSV field's word-at-a-time end against the byte loop: where fewer than eight
    /// bytes are left it may stop early (the byte loop goes on), never past a comma, LF or
    /// CR, and with the same non-ASCII bit for the bytes it stepped over.
    func testCSVPlainFieldEndIsTheByteLoopsEnd() {
        let alphabet: [UInt8] = [0x2C, 0x0A, 0x0D, 0x61, 0x20, 0x2B, 0x2D, 0x0B, 0x0C, 0x8A, 0x8D, 0xAC, 0xE4, 0xFF, 0x00, 0x09]
        forEveryStart(inCrowdedBytes: alphabet, seed: 4180) { bytes, buffer, start in
            let count = bytes.count
            let end = (start..<count).first { [0x2C, 0x0A, 0x0D].contains(bytes[$0]) } ?? count
            var high: UInt8 = 0
            let fast = CSVReader.plainFieldEnd(buffer, from: start, high: &high)
            XCTAssertTrue(fast == end || (fast < end && count - fast < 8), "\(bytes) from \(start)")
            XCTAssertEqual(high, bytes[start..<fast].contains { $0 >= 0x80 } ? 0x80 : 0, "\(bytes) from \(start)")
        }
    }

    /// A key list's names compared as bytes: equal exactly when the strings' UTF-8 is.
    func testKeyNamesComparedAsBytes() {
        let names = ["id", "", "name", "王芳", "Name", "naïve", "a much longer key than sixteen bytes"]
        let keys = Importer.RowKeys(names)
        let candidates = names + ["i", "idx", "NAME", "nam", "王", "naive", "a much longer key than sixteen byte"]
        for (k, name) in names.enumerated() {
            for candidate in candidates {
                let bytes = Array(candidate.utf8)
                XCTAssertEqual(bytes.withUnsafeBufferPointer { keys.name(k, is: $0) }, Array(name.utf8) == bytes, "\(name) \(candidate)")
            }
        }
    }

    // MARK: JSON lines

    func testPiecesEndAtLineEndsAndCoverTheFile() {
        let line = Array("{\"name\":\"a\"}\n".utf8)
        let big = Array(repeating: line, count: Importer.bytesWorthSplitting / line.count + 10).flatMap { $0 }
        for bytes in [big, big + Array("{\"name\":\"no newline\"}".utf8), Array(repeating: 32, count: Importer.bytesWorthSplitting * 2),
                      Array(line), []] as [[UInt8]] {
            let pieces = bytes.withUnsafeBufferPointer { Importer.piecesAtLineEnds($0) }
            XCTAssertEqual(pieces.first?.lowerBound, 0)
            XCTAssertEqual(pieces.last?.upperBound, bytes.count)
            for (a, b) in zip(pieces, pieces.dropFirst()) {
                XCTAssertEqual(a.upperBound, b.lowerBound)
                XCTAssertEqual(bytes[a.upperBound - 1], 10, "a piece ends just after a newline")
            }
            XCTAssertEqual(pieces.reduce(0) { $0 + bytes[$1].filter { $0 == 10 }.count },
                           bytes.withUnsafeBufferPointer { Importer.newlines(in: $0) })
        }
        XCTAssertGreaterThan(big.withUnsafeBufferPointer { Importer.piecesAtLineEnds($0) }.count,
                             ProcessInfo.processInfo.activeProcessorCount > 1 ? 1 : 0)
    }

    /// A customers CSV over `Importer.bytesWorthSplitting` with every line end, quoted line
    /// breaks (`breaksPerRecord` in each record's name: with several, most line feeds are
    /// inside quotes, so a piece may start inside a quoted field), Chinese text and `bad`
    /// lines swapped in at the given records.
    func bigCustomersCSV(breaksPerRecord: Int, bad: [Int: [UInt8]] = [:]) -> [UInt8] {
        var bytes = Array("id,name,city,tags\n".utf8)
        var i = 0
        while bytes.count < Importer.bytesWorthSplitting * 3 {
            i += 1
            if let line = bad[i] { bytes += line; continue }
            let name = (0..<breaksPerRecord).map { "王\($0), \"\"芳\"\"" }.joined(separator: i % 3 == 0 ? "\r\n" : "\n")
            let end = i % 7 == 0 ? "\r\n" : i % 11 == 0 ? "\r" : "\n"
            bytes += Array("C\(i),\"\(name) \(i)\",上海,vip; north\(end)".utf8)
            if i % 13 == 0 { bytes += Array("\n".utf8) }
        }
        return bytes
    }

    /// A large CSV read in pieces into rows gives what one reading of the whole file gives:
    /// the rows, their lines and values, and the first error, the file's encoding first.
    func testCSVRowsReadInPiecesAreOneReadingsRowsAndErrors() throws {
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: QueryFixtures.clock)
        for breaks in [1, 6] {
            let bytes = bigCustomersCSV(breaksPerRecord: breaks)
            let records = try CSVReader.parse(String(decoding: bytes, as: UTF8.self)).dropFirst()
            let result = try importer.read(bytes: bytes, format: .csv, into: .customers)
            XCTAssertEqual(result.lines, records.map(\.line), "\(breaks) breaks a record")
            XCTAssertEqual(result.changes.map { $0.after[CustomerField.name] }, records.map { .string($0.fields[1]) })
            XCTAssertEqual(result.changes.map { $0.after["tags"] }, records.map { _ in .list(["vip", "north"]) })
        }
        func failure(_ bad: [Int: String], invalidAt: Int? = nil) -> [Importer.Problem] {
            var lines = bad.mapValues { Array($0.utf8) }
            if let invalidAt { lines[invalidAt] = Array("C0,\"bad ".utf8) + [0xE4, 0xB8] + Array("\",x,y\n".utf8) }
            do {
                _ = try importer.read(bytes: bigCustomersCSV(breaksPerRecord: 1, bad: lines), format: .csv, into: .customers)
                return []
            } catch let failure as Importer.ImportFailure { return failure.problems } catch { return [] }
        }
        // Records 2000 and 5000 are in different pieces (line 1 is the header, each record a line or two).
        let wide = failure([5_000: "C1,a,b,c,d\n"])
        XCTAssertEqual(wide.map(\.message), ["expected 4 fields, found 5"])
        let wideLine = try XCTUnwrap(wide.first?.line)
        XCTAssertGreaterThan(wideLine, 5_000)
        XCTAssertEqual(failure([2_000: "C1,a\n", 5_000: "C1,a,b,c,d\n"]).map(\.message), ["expected 4 fields, found 2"])
        XCTAssertEqual(failure([2_000: "C1,\"open\"x,y,z\n"]).map(\.message), ["unexpected character after a closing quote"])
        // Invalid UTF-8 late in the file is reported before an earlier malformed record.
        let invalid = failure([2_000: "C1,\"open\"x,y,z\n"], invalidAt: 5_000)
        XCTAssertEqual(invalid.map(\.message), ["the file is not valid UTF-8"])
        // Its line counts lone CRs, as the records' lines do.
        XCTAssertEqual(invalid.map(\.line), [wideLine])
    }

    /// Rows converted as each piece reads them give what the two passes (every row parsed,
    /// then converted) give: the changes and their lines, the problems, the format and
    /// duplicate warnings, for JSON Lines and CSV files read in pieces, with bad rows,
    /// shared contacts, opening points, a second key list and a byte order mark. A column
    /// map (here one that renames nothing) takes the two passes.
    func testRowsConvertedAsTheyAreReadAreTheTwoPassesRows() throws {
        var jsonl = "\u{FEFF}", csv = "\u{FEFF}id,name,email,tier,points,birthday\r\n"
        for n in 1...9_000 {
            let tier = n % 997 == 0 ? "platinum" : ["gold", "silver", "bronze"][n % 3]
            let email = n % 501 == 0 ? "not-an-address" : n % 7 == 0 ? "Shared.\(n % 5)@Example.com" : "u\(n)@example.com"
            let birthday = n % 1_499 == 0 ? "1990-02-30" : "1990-02-\(n % 28 + 1 < 10 ? "0" : "")\(n % 28 + 1)"
            let points = n % 4 == 0 ? "" : "\(n % 300)"
            if n % 13 == 0 {
                jsonl += "{\"name\":\"王\(n)\",\"tier\":\"\(tier)\"}\n\n"
            } else {
                jsonl += "{\"id\":\"C\(n)\",\"name\":\"Name \(n)\",\"email\":\"\(email)\",\"tier\":\"\(tier)\",\"points\":\(points.isEmpty ? "null" : points),\"birthday\":\"\(birthday)\"}\n"
            }
            csv += "\(n % 13 == 0 ? "" : "C\(n)"),\"王 \(n)\",\(email),\(tier),\(points),\(birthday)\r\n"
        }
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: QueryFixtures.clock)
        var twoPasses = importer
        twoPasses.columnMap = ["name": "name"]
        for (format, text) in [(InterchangeFormat.jsonl, jsonl), (.csv, csv)] {
            XCTAssertGreaterThan(text.utf8.count, Importer.bytesWorthSplitting)
            let converted = try importer.readRows(bytes: Array(text.utf8), format: format, into: .customers)
            let expected = try twoPasses.readRows(bytes: Array(text.utf8), format: format, into: .customers)
            // Compared whole, reported by count (thousands of records do not read as a message).
            XCTAssertTrue(converted.changes == expected.changes, "\(format): \(converted.changes.count) changes against \(expected.changes.count)")
            XCTAssertTrue(converted.lines == expected.lines, "\(format): lines differ")
            XCTAssertEqual(converted.problems, expected.problems, "\(format)")
            XCTAssertEqual(converted.formatWarnings, expected.formatWarnings, "\(format)")
            XCTAssertEqual(converted.duplicateWarnings, expected.duplicateWarnings, "\(format)")
            // What the file holds shows: refused rows, warnings, opening balances.
            XCTAssertFalse(expected.problems.isEmpty, "\(format)")
            XCTAssertFalse(expected.formatWarnings.isEmpty, "\(format)")
            XCTAssertFalse(expected.duplicateWarnings.isEmpty, "\(format)")
            XCTAssertTrue(expected.changes.contains { $0.entity == .points }, "\(format)")
        }
    }

    /// Rows read in pieces keep their file's line numbers, blank and CRLF lines counted.
    func testRowsReadInPiecesKeepTheirLineNumbers() throws {
        var text = ""
        var expected: [Int] = []
        var line = 0
        for n in 0..<9_000 {
            line += 1
            switch n % 7 {
            case 3: text += "\n"
            case 5: text += "  \t \r\n"
            case 6: text += "{\"name\":\"Row \(n)\"}\r\n"; expected.append(line)
            default: text += "{\"name\":\"Row \(n)\",\"city\":\"上海\"}\n"; expected.append(line)
            }
        }
        text += "{\"name\":\"Last, no newline\"}"
        expected.append(line + 1)
        XCTAssertGreaterThan(text.utf8.count, Importer.bytesWorthSplitting)
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: QueryFixtures.clock)
        let result = try importer.read(bytes: Array(text.utf8), format: .jsonl, into: .customers)
        XCTAssertEqual(result.lines, expected)
    }

    func testJSONLineCellsAreTheFullReadersCells() throws {
        let lines = [
            #"{"id":"C1","name":"王芳","city":"上海","tags":["vip","新客"],"points":12,"totalSpent":451.78,"satisfaction":null}"#,
            #"{ "id" : "C2" , "name" : "Zoë \"Z\" Ng\u00e9\ud83d\ude00" , "ok" : true , "no" : false }"#,
            #"{"n":-0,"a":999999999999999999,"b":9223372036854775807,"c":-9223372036854775808,"d":9223372036854775808,"e":1e3,"f":-1.5E-2,"g":12345678901234567890}"#,
            #"{"nested":{"a":[1,[2,{"b":null}]]},"empty":[],"o":{}}"#,
            #"{}"#,
            "{\"name\":\"\u{3000}全角\u{3000}\",\"email\":\"a.b+tag@example.com\"}\r",
        ]
        for line in lines {
            let bytes = Array(line.utf8)
            var keysChecked: Importer.RowKeys?
            let row = try bytes.withUnsafeBufferPointer { try Importer.cells(of: $0, line: 7, keysChecked: &keysChecked) }
            let fast = try XCTUnwrap(row, line)
            guard case .object(let members) = try JSONScanner.withScanner(bytes, { try $0.readValue() }) else { return XCTFail(line) }
            XCTAssertEqual(fast.keys.names, members.map(\.key), line)
            XCTAssertEqual(fast.values.map(describe), members.map { describe(RawCell(json: $0.value)) }, line)
            XCTAssertEqual(fast.line, 7)
        }
    }

    func testRowsRepeatingTheKeysShareTheirListAndOthersGetTheirOwn() throws {
        var keysChecked: Importer.RowKeys?
        func read(_ line: String) throws -> Importer.Row? {
            try Array(line.utf8).withUnsafeBufferPointer { try Importer.cells(of: $0, line: 1, keysChecked: &keysChecked) }
        }
        let first = try XCTUnwrap(try read(#"{"id":"C1","name":"a"}"#))
        let second = try XCTUnwrap(try read(#"{"id":"C2","name":"b"}"#))
        XCTAssertTrue(first.keys === second.keys)
        let shorter = try XCTUnwrap(try read(#"{"id":"C3"}"#))
        XCTAssertFalse(shorter.keys === second.keys)
        XCTAssertEqual(shorter.keys.names, ["id"])
        let longer = try XCTUnwrap(try read(#"{"id":"C4","name":"d"}"#))
        XCTAssertEqual(longer.keys.names, ["id", "name"])
        let renamed = try XCTUnwrap(try read(#"{"id":"C5","Name":"e"}"#))
        XCTAssertEqual(renamed.keys.names, ["id", "Name"])
        XCTAssertThrowsError(try read(#"{"id":"C6","ID":"f"}"#)) { error in
            XCTAssertEqual((error as? Importer.ImportFailure)?.message, "key 'ID' appears twice")
        }
    }

    /// The convert's row loop: values converted into a scratch and moved into each record,
    /// the plan and field list of the previous row reused, the field-list key held inline up
    /// to 64 keys. Rows of several key lists (one of 70 keys), nulls in changing places,
    /// bad rows between good ones, given and generated ids, in two chunks: every record
    /// holds its own row's values, rows alike share one field list, and the contact keys
    /// still find a row's email given again.
    func testEveryConvertedRecordHoldsItsOwnRowsValuesWhateverTheRowsBeforeIt() throws {
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: Clock(now: 1_790_000_000, timeZone: TimeZone(identifier: "UTC")!))
        let wide = (0..<70).map { "k\($0)" }
        var lines: [String] = []
        var expected: [Int: [String: Value]] = [:]
        var givenIDs: [Int: String] = [:]
        var badLines: [Int] = []
        for i in 0..<9_000 {
            let line = i + 1
            var record: [String: Value] = [:]
            var members: [String] = []
            let id = "C\(i)"
            // The key list changes every 40 rows (rows share a key list while it repeats).
            switch i / 40 % 5 {
            case 0, 1:
                // The common list, its nulls moving from row to row.
                members.append(#""id":"\#(id)""#)
                members.append(i % 3 == 0 ? #""name":null"# : #""name":"name \#(i) of a longer text""#)
                if i % 3 != 0 { record["name"] = .string("name \(i) of a longer text") }
                members.append(#""email":"person\#(i)@example.com""#)
                record["email"] = .string("person\(i)@example.com")
                members.append(i % 7 == 0 ? #""tier":null"# : #""tier":"Gold""#)
                if i % 7 != 0 { record["tier"] = .string("gold") }
                members.append(i % 2 == 0 ? #""purchaseCount":\#(i)"# : #""purchaseCount":null"#)
                if i % 2 == 0 { record["purchaseCount"] = .integer(Int64(i)) }
                if i % 11 == 0 {
                    members.append(#""birthday":"1990-02-30""#)
                    badLines.append(line)
                } else {
                    members.append(#""birthday":"1990-01-\#(String(format: "%02d", i % 28 + 1))""#)
                    record["birthday"] = .date(Day(iso: String(format: "1990-01-%02d", i % 28 + 1))!)
                }
                givenIDs[line] = id
            case 2:
                // The same keys in another order, no id (generated).
                members.append(#""tier":"silver""#)
                record["tier"] = .string("silver")
                members.append(#""name":"\#(i)""#)
                record["name"] = .string("\(i)")
            default:
                // Seventy custom keys: the field-list key's words past the inline two.
                members.append(#""id":"\#(id)""#)
                givenIDs[line] = id
                for (k, key) in wide.enumerated() {
                    if (k + i) % 9 == 0 { members.append(#""\#(key)":null"#); continue }
                    members.append(#""\#(key)":"v\#(k)-\#(i % 4)""#)
                    record[key] = .string("v\(k)-\(i % 4)")
                }
            }
            // Row 8,000 gives the email of row 11 again, in other case: a duplicate warning.
            if i == 7_999 { members = [#""id":"C7999""#, #""email":"Person10@Example.com""#]; record = ["email": .string("Person10@Example.com")]; givenIDs[line] = "C7999" }
            lines.append("{" + members.joined(separator: ",") + "}")
            if !badLines.contains(line) { expected[line] = record }
        }
        let result = try importer.readRows(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), format: .jsonl, into: .customers)
        XCTAssertEqual(result.problems.map(\.line), badLines)
        XCTAssertEqual(result.changes.count, expected.count)
        // Rows alike in a run of one key list share one field list. Each piece the parse
        // reads (one per core) makes its own key lists and each chunk the convert reads
        // (one per core, at most eight) its own field lists: a run across a piece's or a
        // chunk's end has two or three.
        var listsOfShape: [String: Set<ObjectIdentifier>] = [:]
        for (change, line) in zip(result.changes, result.lines) {
            var after = change.after
            let id = after.removeValue(forKey: "id")
            XCTAssertEqual(after, expected[line], "line \(line)")
            if let given = givenIDs[line] { XCTAssertEqual(id, .string(given), "line \(line)") } else {
                guard case .string(let generated)? = id, !generated.isEmpty else { return XCTFail("line \(line): no id generated") }
            }
            let fields = try XCTUnwrap(change.positionalAfter).fields
            let shape = fields.names.joined(separator: ",")
            listsOfShape["\((line - 1) / 40): " + shape, default: []].insert(ObjectIdentifier(fields))
        }
        XCTAssertGreaterThan(listsOfShape.count, 200)
        let parts = min(8, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertLessThanOrEqual(listsOfShape.values.map(\.count).max() ?? 0, 3, "rows alike share their list")
        let runsCut = Set(listsOfShape.filter { $0.value.count > 1 }.keys.map { $0.prefix { $0 != ":" } })
        XCTAssertLessThanOrEqual(runsCut.count, 2 * (parts - 1), "rows alike share their list")
        XCTAssertEqual(result.duplicateWarnings.map(\.line), [8_000])
    }

    /// Each key's rules are worked out once per key list: they must follow the key, not its
    /// place, when lists put the same keys in other orders, leave some out or add keys no
    /// field takes. A tier checked as an email, or a satisfaction as a tier, would show here.
    func testEachKeysRulesFollowItsKeyInEveryKeyList() throws {
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: Clock(now: 1_790_000_000, timeZone: TimeZone(identifier: "UTC")!))
        let lines = [
            #"{"id":"A1","tier":"GOLD","email":"a1@example.com","phone":"138 0013 8001"}"#,
            #"{"id":"A2","tier":"diamond","email":"a2@example.com","phone":"138 0013 8002"}"#,
            #"{"phone":"none","satisfaction":4,"email":"a3@example.com","tier":"Silver","id":"A3"}"#,
            #"{"phone":"138 0013 8004","satisfaction":9,"email":"a4@example.com","tier":"silver","id":"A4"}"#,
            #"{"email":"not-an-address","points":12,"tier":"platinum","id":"A5","satisfaction":2}"#,
            #"{"satisfaction":"x","id":"A6"}"#,
            #"{"tier":"bronze","email":"A7@Example.com","id":"A7","phone":"+86 138 0013 8007"}"#,
        ]
        let result = try importer.readRows(bytes: Array((lines.joined(separator: "\n") + "\n").utf8), format: .jsonl, into: .customers)
        XCTAssertEqual(result.problems.map(\.line), [2, 4, 6])
        XCTAssertEqual(result.problems.dropFirst().map(\.message), [
            "'satisfaction': satisfaction is from 1 to 5, found 9",
            "'satisfaction': expected a whole number, found \"x\"",
        ])
        XCTAssertTrue(result.problems[0].message.hasPrefix("'tier': 'diamond' is not a tier"), result.problems[0].message)
        XCTAssertEqual(result.formatWarnings.map(\.line), [3, 5])
        XCTAssertEqual(result.formatWarnings.map(\.message), ["phone 'none' has no digits", "email 'not-an-address' is not an address"])
        var stored: [String: [String: Value]] = [:]
        for change in result.changes where change.entity == .customers { stored[change.id] = change.after }
        XCTAssertEqual(Set(stored.keys), ["A1", "A3", "A5", "A7"])
        XCTAssertEqual(stored["A1"]?["tier"], .string("gold"))
        XCTAssertEqual(stored["A3"]?["tier"], .string("silver"))
        XCTAssertEqual(stored["A3"]?["satisfaction"], .integer(4))
        XCTAssertEqual(stored["A5"]?["email"], .string("not-an-address"))
        XCTAssertEqual(stored["A5"]?["satisfaction"], .integer(2))
        XCTAssertEqual(stored["A7"]?["email"], .string("A7@Example.com"))
        XCTAssertEqual(stored["A7"]?["phone"], .string("+86 138 0013 8007"))
    }

    /// The parse's join: parts write into one array, in regions of their own, moved down
    /// over the gaps a part leaves below its bound. Every element once, in order, each
    /// freed once when the array goes (or, when a part throws, when the join gives up),
    /// and the first part's error in order.
    func testPartsWrittenInPlaceJoinInOrderAndFreeEachElementOnce() throws {
        final class Counted {
            static let lock = NSLock()
            nonisolated(unsafe) static var alive = 0
            let value: Int
            init(_ value: Int) { self.value = value; Counted.lock.withLock { Counted.alive += 1 } }
            deinit { Counted.lock.withLock { Counted.alive -= 1 } }
        }
        struct PartFailed: Error, Equatable { var part: Int }
        let bounds = [5, 0, 7, 3, 1]
        let made = [5, 0, 2, 0, 1]
        do {
            let joined = try Importer.inPartsInPlace(bounds) { (p, append: (Counted) -> Void) in
                for i in 0..<made[p] { append(Counted(p * 100 + i)) }
            }
            XCTAssertEqual(joined.map(\.value), [0, 1, 2, 3, 4, 200, 201, 400])
            XCTAssertEqual(Counted.alive, 8)
        }
        XCTAssertEqual(Counted.alive, 0)
        XCTAssertThrowsError(try Importer.inPartsInPlace(bounds) { (p, append: (Counted) -> Void) in
            for i in 0..<made[p] { append(Counted(p * 100 + i)) }
            if p >= 2 { throw PartFailed(part: p) }
        }) { error in XCTAssertEqual(error as? PartFailed, PartFailed(part: 2)) }
        XCTAssertEqual(Counted.alive, 0)
        XCTAssertEqual(try Importer.inPartsInPlace([0]) { (_, _: (Int) -> Void) in }, [])
        XCTAssertEqual(try Importer.inPartsInPlace([3]) { (_, append: (Int) -> Void) in append(7); append(8) }, [7, 8])
    }

    func testLinesTheFastPathDoesNotReadAreLeftToTheFullReader() throws {
        let lines: [[UInt8]] = [
            Array(#"{"na\u006de":"escaped key"}"#.utf8),
            Array(#"{"name":"a"} x"#.utf8), Array(#"{"name":"a",}"#.utf8), Array(#"{"n":01}"#.utf8),
            Array("{\"name\":\"tab\there\"}".utf8), Array(#"["not an object"]"#.utf8), Array(#"{"name" "a"}"#.utf8),
            Array(#"{"name":"a""#.utf8), Array(#"{"n":1.}"#.utf8), Array(#"{"n":tru}"#.utf8),
            Array(#"{"name":""#.utf8) + [0xFF] + Array(#""}"#.utf8),
        ]
        for bytes in lines {
            var keysChecked: Importer.RowKeys?
            let row = try bytes.withUnsafeBufferPointer { try Importer.cells(of: $0, line: 1, keysChecked: &keysChecked) }
            XCTAssertNil(row, String(decoding: bytes, as: UTF8.self))
        }
    }

    func testBadLinesReportTheirLineAndColumnAsTheFullReaderDoes() throws {
        let importer = Importer(backend: InMemoryBackend(store: Store()), clock: Clock(now: 1_790_000_000, timeZone: TimeZone(identifier: "UTC")!))
        let cases: [(String, String)] = [
            (#"{"id":"C2","totalSpent":01}"#, "line 2: invalid JSON at column 25: leading zero in a number"),
            ("{\"id\":\"C2\",\"name\":\"a\u{1}\"}", "line 2: invalid JSON at column 21: control character in a string"),
            (#"{"id":"C2","name":"a"} {"#, "line 2: unexpected text after the object"),
            (#"{"id":"C2","birthday":"2023-02-29"}"#, #"line 2: 'birthday': expected a date (YYYY-MM-DD), found "2023-02-29""#),
            (#"{"id":"C2","birthday":"２０２４-02-29"}"#, #"line 2: 'birthday': expected a date (YYYY-MM-DD), found "２０２４-02-29""#),
        ]
        for (bad, expected) in cases {
            let file = #"{"id":"C1","name":"王芳","birthday":"2024-02-29"}"# + "\n" + bad + "\n"
            XCTAssertThrowsError(try importer.read(bytes: Array(file.utf8), format: .jsonl, into: .customers), bad) { error in
                guard let failure = error as? Importer.ImportFailure else { return XCTFail("\(error)") }
                XCTAssertEqual("line \(failure.line): \(failure.message)", expected)
            }
        }
        var invalid = Array(#"{"id":"C1"}"#.utf8) + [10]
        invalid += Array(#"{"id":"C2","name":"a"#.utf8) + [0xC3] + Array(#""}"#.utf8)
        XCTAssertThrowsError(try importer.read(bytes: invalid, format: .jsonl, into: .customers)) { error in
            XCTAssertEqual((error as? Importer.ImportFailure)?.line, 2)
            XCTAssertEqual((error as? Importer.ImportFailure)?.message, "invalid JSON at column 20: invalid UTF-8 in a string")
        }
        let good = #"{"id":"C1","name":"王芳","birthday":"2024-02-29","email":" Wang.Fang+VIP@Example.COM "}"#
        let result = try importer.read(bytes: Array(good.utf8), format: .jsonl, into: .customers)
        let record = try XCTUnwrap(result.changes.first?.after)
        XCTAssertEqual(record["birthday"], .date(Day(year: 2024, month: 2, day: 29)!))
        XCTAssertEqual(record["name"], .string("王芳"))
    }

    private func describe(_ cell: RawCell) -> String {
        switch cell {
        case .jsonString(let s): return "string \(s.unicodeScalars.map { String($0.value, radix: 16) })"
        case .jsonInteger(let i): return "integer \(i)"
        case .jsonDouble(let d): return "double \(d.bitPattern)"
        case .jsonBool(let b): return "bool \(b)"
        case .jsonNull: return "null"
        case .json(let v): return "json \(String(decoding: JSONWriter.encode(v), as: UTF8.self))"
        case .text(let t): return "text \(t)"
        }
    }

    // MARK: Rules

    /// Tricky spellings: full-width and no-break spaces, Chinese, `+` tags and dots, case.
    static let tricky = [
        "", " ", "\t", "wang@example.com", " Wang.Fang+VIP@Example.COM ", "\tA.B.C@EXAMPLE.CO.UK\t", "王芳@例子.中国",
        "\u{3000}wang@example.com\u{3000}", "wang@example.com\u{A0}", "İSTANBUL@EXAMPLE.COM", "ẞ@X.DE", "a b@example.com",
        "a@b", "@example.com", "a@@b.c", "a@b.c.", "a@.bc", "a\n@b.c", "a\u{B}b@c.d", "a\u{85}b@c.d", "a\u{2028}b@c.d",
        "ZOË@EXAMPLE.COM", "C000001", " C1", "C1 ", "C\u{7F}1", "C\u{1}1", "C\u{85}1", "客户1", "C\u{3000}1",
        "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", " +8613800138000", "010 6552 9988", "00", "0",
        "+", "n/a", "８６１３８", "86 1234 5678 9", "8612345678901", "\t0044 20 7946 0958", "1-800-FLOWERS",
    ]

    func testEmailKeysAreFoundationsOnTrickyInput() {
        for text in Self.tricky {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            XCTAssertEqual(ContactKeys.email(text), trimmed.isEmpty ? nil : trimmed.lowercased(), text)
        }
        // The address check on UTF-8 bytes against the same rule on the string's view.
        func isAddress(_ text: String) -> Bool {
            let bytes = text.utf8
            guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at != bytes.startIndex else { return false }
            let domain = bytes[bytes.index(after: at)...]
            guard !domain.contains(UInt8(ascii: "@")), let dot = domain.firstIndex(of: UInt8(ascii: ".")),
                  dot != domain.startIndex, domain.last != UInt8(ascii: ".") else { return false }
            return !text.unicodeScalars.contains { $0.properties.isWhitespace }
        }
        for text in Self.tricky + ["a@b.", "a@.", "a@b..c", "王@.中国", "a@b.c@", "x@y.z"] {
            XCTAssertEqual(RecordRules.isEmailAddress(text), isAddress(text), text)
        }
    }

    func testPhoneKeysAreTheCharacterByCharacterOnesOnTrickyInput() {
        func reference(_ text: String) -> String? {
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            var digits = String(trimmed.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 })
            guard !digits.isEmpty else { return nil }
            if trimmed.first == "+" { return digits }
            if digits.hasPrefix("00") { return String(digits.dropFirst(2)) }
            if digits.hasPrefix("86") && digits.count > 11 { return digits }
            if digits.hasPrefix("0") { digits.removeFirst() }
            return "86" + digits
        }
        for text in Self.tricky { XCTAssertEqual(ContactKeys.phone(text), reference(text), text) }
        // The format check asks only whether there is a number, without making it.
        for text in Self.tricky + ["", "call me", "  +", "０１２", "tel: 1"] {
            XCTAssertEqual(ContactKeys.hasDigit(text), ContactKeys.phone(text) != nil, text)
        }
    }

    func testWhiteSpaceAndIDChecksAreTheScalarOnesOnTrickyInput() {
        for text in Self.tricky {
            XCTAssertEqual(RecordRules.containsWhitespace(text), text.unicodeScalars.contains { $0.properties.isWhitespace }, text)
            var expected: DiagnosticID?
            if text.isEmpty { expected = .idEmpty }
            else if text.unicodeScalars.first!.properties.isWhitespace || text.unicodeScalars.last!.properties.isWhitespace { expected = .idPadded }
            else if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { expected = .idControlCharacters }
            do {
                try RecordRules.checkID(text)
                XCTAssertNil(expected, text)
            } catch let violation as RuleViolation {
                XCTAssertEqual(violation.id, expected, text)
            } catch { XCTFail("\(error)") }
        }
        XCTAssertTrue(RecordRules.isEmailAddress("wang.fang+vip@example.com"))
        XCTAssertFalse(RecordRules.isEmailAddress("wang\u{3000}fang@example.com"))
        XCTAssertFalse(RecordRules.isEmailAddress("wang fang@example.com"))
    }

    func testDatesFromBytesIncludingLeapDays() {
        XCTAssertEqual(Day(iso: "2024-02-29"), Day(year: 2024, month: 2, day: 29))
        XCTAssertEqual(Day(iso: "2000-02-29"), Day(year: 2000, month: 2, day: 29))
        for bad in ["2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-4-01", "２０２６-01-01",
                    "2026-01-01 ", "2026/01/01", "", "2026-01-0x"] {
            XCTAssertNil(Day(iso: bad), bad)
            XCTAssertEqual(Day(iso: bad), Day(iso: Substring(bad)), bad)
        }
        XCTAssertEqual(Day(iso: Substring("x2026-11-30").dropFirst()), Day(iso: "2026-11-30"))
    }

    func testVocabularyWordsDifferByMoreThanCaseSoTheGivenSpellingIsTheStoredOne() {
        let all: [Vocabulary] = [.tier, .grade, .stage, .lostReason, .channel, .optOut, .ticketKind, .priority,
                                 .ticketStatus, .ticketStep, .taskStatus]
        for vocabulary in all {
            XCTAssertEqual(Set(vocabulary.words.map { $0.lowercased() }).count, vocabulary.words.count, "\(vocabulary.words)")
            for word in vocabulary.words {
                XCTAssertEqual(vocabulary.canonical(word), word)
                XCTAssertEqual(vocabulary.canonical(word.uppercased()), word)
            }
        }
        XCTAssertEqual(Vocabulary.channel.canonical("微信"), "wechat")
        XCTAssertNil(Vocabulary.tier.canonical("gold "))
    }
}
