import Foundation

/// A malformed CSV text: where (1-based line and column) and what.
public struct CSVError: Error, CustomStringConvertible, Equatable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Reads CSV as RFC 4180 writes it and as Python's csv module (default dialect) reads
/// what other tools write: a quote inside an unquoted field is a character.
public struct CSVReader {
    /// The records of `text`, each with the line it starts on. Quoted fields may hold
    /// commas, doubled quotes and line breaks, all kept exactly (a CRLF stays a CRLF);
    /// records end with CRLF, LF or a lone CR; a leading UTF-8 byte order mark and empty
    /// lines are skipped. Text after a closing quote (`"a"b`) is an error: its meaning
    /// is not clear.
    public static func parse(_ text: String) throws -> [(line: Int, fields: [String])] {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    /// Files smaller than this are read on one thread.
    static let bytesWorthSplitting = 1 << 20

    /// The records of `bytes` (valid UTF-8), read in one piece per core when the file is
    /// large: each piece starts after a line feed, and counts only when the piece before
    /// it ended outside a quoted field (it read to its end without an unterminated quote),
    /// which makes its start a record's start; otherwise, or on any error, the whole file
    /// is read again on one thread, which finds the first error and its line.
    static func parseInPieces(_ bytes: [UInt8], pieces wanted: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [(line: Int, fields: [String])] {
        try bytes.withUnsafeBufferPointer { b in
            let n = b.count
            guard n >= bytesWorthSplitting, wanted > 1 else { return try parse(bytes: b) }
            var starts = [0]
            for j in 1..<min(wanted, 8) {
                var k = max(starts.last!, j * n / wanted)
                while k < n, b[k] != lf { k += 1 }
                // A piece may not start with what reads as a byte order mark.
                let mark = k + 3 < n && b[k + 1] == 0xEF && b[k + 2] == 0xBB && b[k + 3] == 0xBF
                if k + 1 < n, k + 1 > starts.last!, !mark { starts.append(k + 1) }
            }
            let pieces = starts.count
            guard pieces > 1 else { return try parse(bytes: b) }
            var outcomes = [(records: [(line: Int, fields: [String])], lineBreaks: Int)?](repeating: nil, count: pieces)
            // Each piece reads its own bytes and writes its own slot.
            nonisolated(unsafe) let b = b
            let pieceStarts = starts
            outcomes.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                    let range = pieceStarts[piece]..<(piece + 1 < pieces ? pieceStarts[piece + 1] : n)
                    guard let records = try? parse(bytes: UnsafeBufferPointer(rebasing: b[range])) else { return }
                    var breaks = 0
                    for k in range where b[k] == lf || (b[k] == cr && (k + 1 == n || b[k + 1] != lf)) { breaks += 1 }
                    slots[piece] = (records, breaks)
                }
            }
            guard outcomes.allSatisfy({ $0 != nil }) else { return try parse(bytes: b) }
            var joined: [(line: Int, fields: [String])] = []
            joined.reserveCapacity(outcomes.reduce(0) { $0 + $1!.records.count })
            var linesBefore = 0
            for (piece, outcome) in outcomes.enumerated() {
                if piece == 0 {
                    joined.append(contentsOf: outcome!.records)
                } else {
                    for r in outcome!.records { joined.append((r.line + linesBefore, r.fields)) }
                }
                linesBefore += outcome!.lineBreaks
            }
            return joined
        }
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
                        lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) throws -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        _ = try forEachRecord(in: b, field: { $0 }) { line, fields in
            records.append((line, fields))
            return true
        }
        return records
    }

    /// A field of bytes that are not UTF-8 (`forEachRecord`, when it checks).
    struct InvalidUTF8: Error {}

    /// Calls `body` with each record of `b` in order, its line (counted from `firstLine`)
    /// and its fields, each made by `field` from the field's text, until `body` returns
    /// false; returns where reading stopped (just past that record), else `b.count`.
    /// With `checkingUTF8`, a field of bytes that are not UTF-8 throws `InvalidUTF8`
    /// (without, it is read with replacement characters); every byte outside fields is
    /// ASCII, so a whole file read without it is valid UTF-8. A byte order mark is skipped
    /// at `b`'s start only with `skippingByteOrderMark`.
    static func forEachRecord<Field>(in b: UnsafeBufferPointer<UInt8>, firstLine: Int = 1, skippingByteOrderMark: Bool = true,
                                     checkingUTF8: Bool = false, field make: (String) -> Field,
                                     _ body: (Int, [Field]) throws -> Bool) throws -> Int {
        let n = b.count
        var i = 0
        if skippingByteOrderMark, n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        var line = firstLine
        var lineStart = i
        var scratch: [UInt8] = []
        var width = 0

        func column(_ at: Int) -> Int {
            var c = 1
            var k = lineStart
            while k < at { if b[k] & 0xC0 != 0x80 { c += 1 }; k += 1 }
            return c
        }
        /// The length of the line break at `k`, or 0.
        @inline(__always) func lineBreak(_ k: Int) -> Int {
            if b[k] == lf { return 1 }
            if b[k] == cr { return k + 1 < n && b[k + 1] == lf ? 2 : 1 }
            return 0
        }
        /// The text of bytes read as a field; `high` has bit 7 set when one of them is not ASCII.
        @inline(__always) func text(_ bytes: UnsafeBufferPointer<UInt8>, high: UInt8) throws -> String {
            guard checkingUTF8, high & 0x80 != 0 else { return String(decoding: bytes, as: UTF8.self) }
            guard let valid = String(validating: bytes, as: UTF8.self) else { throw InvalidUTF8() }
            return valid
        }

        while i < n {
            let brk = lineBreak(i)
            if brk > 0 {
                i += brk
                line += 1
                lineStart = i
                continue
            }
            let recordLine = line
            var fields: [Field] = []
            // Most records are as wide as the one before.
            fields.reserveCapacity(width)
            record: while true {
                if i < n, b[i] == quote {
                    let openLine = line, openColumn = column(i)
                    i += 1
                    let start = i
                    var simple = true
                    var high: UInt8 = 0
                    scratch.removeAll(keepingCapacity: true)
                    while true {
                        guard i < n else {
                            throw CSVError(line: openLine, column: openColumn, message: "unterminated quoted field")
                        }
                        let c = b[i]
                        high |= c
                        if c == quote {
                            if i + 1 < n, b[i + 1] == quote {
                                if simple { scratch.append(contentsOf: b[start..<i]); simple = false }
                                scratch.append(quote)
                                i += 2
                                continue
                            }
                            break
                        }
                        if c == lf || (c == cr && (i + 1 == n || b[i + 1] != lf)) { line += 1; lineStart = i + 1 }
                        if !simple { scratch.append(c) }
                        i += 1
                    }
                    if simple {
                        fields.append(make(try text(UnsafeBufferPointer(rebasing: b[start..<i]), high: high)))
                    } else {
                        fields.append(make(try scratch.withUnsafeBufferPointer { try text($0, high: high) }))
                    }
                    i += 1
                    if i < n, b[i] != comma, lineBreak(i) == 0 {
                        throw CSVError(line: line, column: column(i), message: "unexpected character after a closing quote")
                    }
                } else {
                    let start = i
                    var high: UInt8 = 0
                    i = CSVReader.plainFieldEnd(b, from: i, high: &high)
                    while i < n {
                        let c = b[i]
                        if c == comma || c == lf || c == cr { break }
                        high |= c
                        i += 1
                    }
                    fields.append(make(try text(UnsafeBufferPointer(rebasing: b[start..<i]), high: high)))
                }
                if i >= n { break record }
                if b[i] == comma { i += 1; continue record }
                i += lineBreak(i)
                line += 1
                lineStart = i
                break record
            }
            width = fields.count
            guard try body(recordLine, fields) else { return i }
        }
        return n
    }

    /// Where an unquoted field's plain run from `start` ends, eight bytes at a time (SWAR):
    /// at its first comma, LF or CR, or where fewer than eight bytes are left (the byte loop
    /// goes on from there). `high` gets bit 7 when a byte before that is not ASCII. In each
    /// word the lowest flagged byte is exact (a borrow only flags bytes after a true match).
    @inline(__always)
    static func plainFieldEnd(_ b: UnsafeBufferPointer<UInt8>, from start: Int, high: inout UInt8) -> Int {
        guard let base = b.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101, top: UInt64 = 0x8080_8080_8080_8080
        var i = start
        var seen: UInt64 = 0
        while i + 8 <= b.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let c = word ^ (ones &* UInt64(comma)), l = word ^ (ones &* UInt64(lf)), r = word ^ (ones &* UInt64(cr))
            let flagged = ((c &- ones) & ~c | (l &- ones) & ~l | (r &- ones) & ~r) & top
            if flagged != 0 {
                let k = flagged.trailingZeroBitCount >> 3
                seen |= word & ((1 << UInt64(k * 8)) &- 1)
                i += k
                break
            }
            seen |= word
            i += 8
        }
        if seen & top != 0 { high |= 0x80 }
        return i
    }

    /// How many line breaks `b` holds (LF, CRLF and a lone CR count one each), as
    /// `forEachRecord` counts lines.
    static func lineBreaks(in b: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = b.baseAddress else { return 0 }
        var count = 0
        var at = 0
        while at < b.count, let found = memchr(base + at, Int32(lf), b.count - at) {
            count += 1
            at = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        // Lone CRs (old Mac files); a CR before an LF is the same break.
        at = 0
        while at < b.count, let found = memchr(base + at, Int32(cr), b.count - at) {
            let k = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if k + 1 == b.count || b[k + 1] != lf { count += 1 }
            at = k + 1
        }
        return count
    }
}

/// Writes RFC 4180 CSV: every record, the header too, ends in CRLF.
public enum CSVWriter {
    /// `s` as a CSV field, quoted when it holds a comma, a quote or a line break, or
    /// starts or ends with a space or tab (which tools that trim would otherwise lose).
    public static func field(_ s: String) -> String {
        let utf8 = s.utf8
        var needsQuotes = utf8.first == 0x20 || utf8.first == 0x09 || utf8.last == 0x20 || utf8.last == 0x09
        if !needsQuotes {
            for c in utf8 where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D {
                needsQuotes = true
                break
            }
        }
        guard needsQuotes else { return s }
        var out = "\""
        for ch in s.unicodeScalars {
            if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
        }
        out += "\""
        return out
    }

    /// One record, ending with CRLF. A lone empty field is written `""` so that the
    /// line is not blank.
    public static func row(_ fields: [String]) -> String {
        if fields.count == 1, fields[0].isEmpty { return "\"\"\r\n" }
        var out = ""
        for (k, f) in fields.enumerated() {
            if k > 0 { out += "," }
            out += field(f)
        }
        out += "\r\n"
        return out
    }
}

/// A list (tags) in one text cell, as CSV export writes it and import reads it: items
/// joined by `;`; a backslash makes the next character plain, so an item holding `;` or
/// `\` is written `a\;b` or `a\\b`. Import also takes hand-written cells such as
/// `vip; north`: unescaped spaces around items are dropped, and so are empty items.
public enum ListCell {
    public static func join(_ items: [String]) -> String {
        var out = ""
        for (k, item) in items.enumerated() {
            if k > 0 { out += ";" }
            out += escaped(item)
        }
        return out
    }

    /// `item` with `;` and `\` escaped, and spaces at either end, which import would trim.
    static func escaped(_ item: String) -> String {
        let scalars = item.unicodeScalars
        guard scalars.contains(where: { $0 == ";" || $0 == "\\" || $0.properties.isWhitespace }) else { return item }
        let first = scalars.firstIndex { !$0.properties.isWhitespace } ?? scalars.endIndex
        let last = scalars.lastIndex { !$0.properties.isWhitespace }
        var out = String.UnicodeScalarView()
        for i in scalars.indices {
            let u = scalars[i]
            let atEdge = i < first || last.map { i > $0 } ?? true
            if u == ";" || u == "\\" || (atEdge && u.properties.isWhitespace) { out.append("\\") }
            out.append(u)
        }
        return String(out)
    }

    public static func split(_ text: String) -> [String] {
        splitASCII(text) ?? splitScalars(text)
    }

    /// `split` of any cell, scalar by scalar.
    static func splitScalars(_ text: String) -> [String] {
        guard text.utf8.contains(0x5C) else {
            return text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        var items: [String] = []
        var item: [(scalar: Unicode.Scalar, escaped: Bool)] = []
        func finish() {
            var lo = 0, hi = item.count
            while lo < hi, !item[lo].escaped, item[lo].scalar.properties.isWhitespace { lo += 1 }
            while hi > lo, !item[hi - 1].escaped, item[hi - 1].scalar.properties.isWhitespace { hi -= 1 }
            if lo < hi {
                var s = String.UnicodeScalarView()
                for k in lo..<hi { s.append(item[k].scalar) }
                items.append(String(s))
            }
            item.removeAll(keepingCapacity: true)
        }
        var it = text.unicodeScalars.makeIterator()
        while let u = it.next() {
            if u == "\\" {
                // A backslash at the very end has nothing to escape: it is itself.
                item.append((it.next() ?? "\\", true))
            } else if u == ";" {
                finish()
            } else {
                item.append((u, false))
            }
        }
        finish()
        return items
    }

    /// `split` of an ASCII cell without escapes, on its bytes; nil for any other cell.
    /// Foundation's `trimmingCharacters` took about a microsecond an item: a million-row
    /// CSV import spent a second of CPU in it (docs/performance.md, stop 31). The trimmed
    /// bytes are ASCII's members of `whitespacesAndNewlines`: tab, line feed, vertical tab,
    /// form feed, carriage return and space.
    static func splitASCII(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            var items: [String] = []
            var start = 0
            for i in 0...bytes.count {
                if i < bytes.count {
                    let b = bytes[i]
                    if b >= 0x80 || b == 0x5C { return nil }
                    if b != 0x3B { continue }
                }
                var lo = start, hi = i
                while lo < hi, isTrimmed(bytes[lo]) { lo += 1 }
                while hi > lo, isTrimmed(bytes[hi - 1]) { hi -= 1 }
                if lo < hi { items.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[lo..<hi]), as: UTF8.self)) }
                start = i + 1
            }
            return items
        }
    }

    private static func isTrimmed(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
}
