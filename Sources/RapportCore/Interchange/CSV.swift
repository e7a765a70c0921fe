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

/// Reads RFC 4180 CSV.
public struct CSVReader {
    /// The records of `text`, each with the line it starts on. Quoted fields may hold
    /// commas, doubled quotes and line breaks; lines end with LF or CRLF; a leading
    /// UTF-8 byte order mark and empty lines are skipped.
    public static func parse(_ text: String) throws -> [(line: Int, fields: [String])] {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","),
                        lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    static func parse(bytes b: UnsafeBufferPointer<UInt8>) throws -> [(line: Int, fields: [String])] {
        let n = b.count
        var records: [(line: Int, fields: [String])] = []
        var i = 0
        if n >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        var line = 1
        var lineStart = i
        var scratch: [UInt8] = []

        func column(_ at: Int) -> Int {
            var c = 1
            var k = lineStart
            while k < at { if b[k] & 0xC0 != 0x80 { c += 1 }; k += 1 }
            return c
        }
        /// The length of the line break at `k`, or 0.
        @inline(__always) func lineBreak(_ k: Int) -> Int {
            if b[k] == lf { return 1 }
            if b[k] == cr, k + 1 < n, b[k + 1] == lf { return 2 }
            return 0
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
            var fields: [String] = []
            record: while true {
                if i < n, b[i] == quote {
                    let openLine = line, openColumn = column(i)
                    i += 1
                    let start = i
                    var simple = true
                    scratch.removeAll(keepingCapacity: true)
                    while true {
                        guard i < n else {
                            throw CSVError(line: openLine, column: openColumn, message: "unterminated quoted field")
                        }
                        let c = b[i]
                        if c == quote {
                            if i + 1 < n, b[i + 1] == quote {
                                if simple { scratch.append(contentsOf: b[start..<i]); simple = false }
                                scratch.append(quote)
                                i += 2
                                continue
                            }
                            break
                        }
                        if c == lf { line += 1; lineStart = i + 1 }
                        if !simple { scratch.append(c) }
                        i += 1
                    }
                    fields.append(simple ? String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                                         : String(decoding: scratch, as: UTF8.self))
                    i += 1
                    if i < n, b[i] != comma, lineBreak(i) == 0 {
                        throw CSVError(line: line, column: column(i), message: "unexpected character after a closing quote")
                    }
                } else {
                    let start = i
                    while i < n {
                        let c = b[i]
                        if c == comma || c == lf || (c == cr && lineBreak(i) > 0) { break }
                        if c == quote {
                            throw CSVError(line: line, column: column(i), message: "a quote inside an unquoted field")
                        }
                        i += 1
                    }
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
                }
                if i >= n { break record }
                if b[i] == comma { i += 1; continue record }
                i += lineBreak(i)
                line += 1
                lineStart = i
                break record
            }
            records.append((recordLine, fields))
        }
        return records
    }
}

/// Writes RFC 4180 CSV.
public enum CSVWriter {
    /// `s` as a CSV field, quoted only when it holds a comma, a quote or a line break.
    public static func field(_ s: String) -> String {
        var needsQuotes = false
        for c in s.utf8 where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D {
            needsQuotes = true
            break
        }
        guard needsQuotes else { return s }
        var out = "\""
        for ch in s.unicodeScalars {
            if ch == "\"" { out += "\"\"" } else { out.unicodeScalars.append(ch) }
        }
        out += "\""
        return out
    }

    /// One record, ending with "\n". A lone empty field is written `""` so that the
    /// line is not blank.
    public static func row(_ fields: [String]) -> String {
        if fields.count == 1, fields[0].isEmpty { return "\"\"\n" }
        var out = ""
        for (k, f) in fields.enumerated() {
            if k > 0 { out += "," }
            out += field(f)
        }
        out += "\n"
        return out
    }
}
