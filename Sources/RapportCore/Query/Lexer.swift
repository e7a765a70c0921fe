/// A lexical unit of a command.
public struct Token: Sendable {
    public enum Kind: Equatable, Sendable {
        /// A bare word: keyword, entity, field or unquoted value (`gold`, `at-risk`, `C000123`, `上海`).
        case word(String)
        case string(String)
        /// A field name in backticks (`` `First Name` ``): always a field, never a keyword or value.
        case quotedName(String)
        case integer(Int64)
        case number(Double)
        case date(Day)
        /// A length of time in days (`90d`, `36h` = 1.5, `2w`, `3mo` = 90, `1y` = 365, `30min`, `10s`).
        case duration(days: Double)
        case symbol(String)
        case end
    }

    public var kind: Kind
    public var span: SourceSpan
    /// The characters as written.
    public var text: String

    /// The lowercased bare word, if this is one.
    public var keyword: String? {
        if case .word(let w) = kind { return w.lowercased() }
        return nil
    }

    public func isKeyword(_ k: String) -> Bool { keyword == k }
    public func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }
}

/// Splits a command's text into tokens. Positions count characters from 1.
/// `#` outside quotes starts a comment to the end of the line. `$NAME` outside quotes
/// is the script parameter NAME (`--param NAME=VALUE`), read as one token of its own.
public struct Lexer {
    private let source: String
    /// The characters, when some is not one ASCII byte (otherwise each is made from its
    /// byte when asked: an array of them cost a tenth of lexing a lookup).
    private let nonASCIIChars: [Character]
    /// Each character's byte when it is one ASCII byte, else `Lexer.notASCII`: the tests a
    /// command's characters go through most (spaces, word characters, quotes, symbols)
    /// compare bytes, not `Character`s (string comparisons, a fifth of a lookup by id).
    private let units: [UInt8]
    /// The text's bytes when each is a character of its own (ASCII without a carriage
    /// return, which joins the line feed after it): a token's text is copied from them.
    private let asciiBytes: [UInt8]?
    /// Otherwise where each character starts in `source` (and its end last): a token's text
    /// is copied from there, not joined character by character.
    private let starts: [String.Index]
    private var index = 0
    private var line: Int
    private var column = 1
    private let parameters: [String: String]

    static let notASCII: UInt8 = 0x80

    public init(_ text: String, firstLine: Int = 1, parameters: [String: String] = [:]) {
        source = text
        let bytes = Array(text.utf8)
        if bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) {
            // One character a byte: no grapheme breaking, no index per character.
            nonASCIIChars = []
            units = bytes
            asciiBytes = bytes
            starts = []
        } else {
            var chars: [Character] = [], starts: [String.Index] = [], units: [UInt8] = []
            chars.reserveCapacity(bytes.count)
            units.reserveCapacity(bytes.count)
            starts.reserveCapacity(bytes.count + 1)
            var i = text.startIndex
            while i < text.endIndex {
                let next = text.index(after: i)
                starts.append(i)
                let c = text[i]
                chars.append(c)
                // "\r\n" is one character of two bytes: not one ASCII byte.
                units.append(c.utf8.count == 1 ? c.utf8.first! : Lexer.notASCII)
                i = next
            }
            starts.append(text.endIndex)
            self.nonASCIIChars = chars
            self.units = units
            self.starts = starts
            asciiBytes = nil
        }
        self.line = firstLine
        self.parameters = parameters
    }

    /// The text of characters `range` as written.
    private func text(_ range: Range<Int>) -> String {
        if let asciiBytes { return String(decoding: asciiBytes[range], as: UTF8.self) }
        return String(source[starts[range.lowerBound]..<starts[range.upperBound]])
    }

    public static func tokenize(_ text: String, firstLine: Int = 1, parameters: [String: String] = [:]) throws -> [Token] {
        var lexer = Lexer(text, firstLine: firstLine, parameters: parameters)
        var tokens: [Token] = []
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t.kind == .end { return tokens }
        }
    }

    private func char(_ i: Int) -> Character { asciiBytes == nil ? nonASCIIChars[i] : Character(Unicode.Scalar(units[i])) }
    private var current: Character? { index < units.count ? char(index) : nil }
    private func peek(_ k: Int = 1) -> Character? { index + k < units.count ? char(index + k) : nil }
    /// The unit (`units`) at `index + k`, `notASCII` past the end.
    private func unit(_ k: Int = 0) -> UInt8 { index + k < units.count ? units[index + k] : Lexer.notASCII }

    private mutating func advance() {
        if units[index] == 0x0A { line += 1; column = 1 } else { column += 1 }
        index += 1
    }

    private func isSpace(at i: Int) -> Bool {
        let u = units[i]
        return u == Lexer.notASCII ? char(i).isWhitespace : u == 0x20 || (0x09...0x0D).contains(u)
    }

    private func isWordStart(at i: Int) -> Bool {
        let u = units[i]
        return u == Lexer.notASCII ? Lexer.isWordStart(char(i)) : Lexer.isWordStartByte(u)
    }

    private func isWordPart(at i: Int) -> Bool {
        let u = units[i]
        return u == Lexer.notASCII ? Lexer.isWordPart(char(i)) : Lexer.isWordPartByte(u)
    }

    private static func isDigit(_ u: UInt8) -> Bool { (0x30...0x39).contains(u) }

    public mutating func next() throws -> Token {
        while index < units.count, isSpace(at: index) || units[index] == 0x23 {
            if units[index] == 0x23 {
                while index < units.count, units[index] != 0x0A { advance() }
            } else {
                advance()
            }
        }
        let start = SourceLocation(line: line, column: column)
        let startIndex = index
        func token(_ kind: Token.Kind) -> Token {
            let text = self.text(startIndex..<index)
            return Token(kind: kind, span: SourceSpan(start: start, length: max(1, index - startIndex)), text: text)
        }
        guard index < units.count else { return Token(kind: .end, span: SourceSpan(start: start, length: 1), text: "") }
        let u = units[index]

        if u == 0x22 || u == 0x27 || (u == Lexer.notASCII && char(index) == "“") { return token(.string(try readString(start: start))) }
        if u == 0x24 { return try readParameter(start: start, startIndex: startIndex) }
        if u == 0x60 { return token(.quotedName(try readQuotedName(start: start))) }
        if Lexer.isDigit(u) || ((u == 0x2D || u == 0x2B) && Lexer.isDigit(unit(1))) {
            return try readNumeric(start: start, startIndex: startIndex)
        }
        if isWordStart(at: index) {
            while index < units.count, isWordPart(at: index) || (units[index] == 0x2D && index + 1 < units.count && isWordPart(at: index + 1)) {
                advance()
            }
            let word = text(startIndex..<index)
            return Token(kind: .word(word), span: SourceSpan(start: start, length: max(1, index - startIndex)), text: word)
        }
        let two: String? = switch (u, unit(1)) {
        case (0x21, 0x3D): "!="
        case (0x3C, 0x3D): "<="
        case (0x3E, 0x3D): ">="
        case (0x3C, 0x3E): "!="
        case (0x3D, 0x3D): "="
        default: nil
        }
        if let two {
            advance(); advance()
            return token(.symbol(two))
        }
        if u != Lexer.notASCII, "=<>(),:*+-/".utf8.contains(u) {
            advance()
            return token(.symbol(String(UnicodeScalar(u))))
        }
        let c = char(index)
        if c == "（" || c == "）" || c == "，" {
            advance()
            return token(.symbol(c == "（" ? "(" : c == "）" ? ")" : ","))
        }
        throw Diagnostic.usage(.unexpectedCharacter, String(c), at: SourceSpan(start: start, length: 1))
    }

    // ASCII answered from the byte: Unicode's property tables cost a lookup a character,
    // a good part of reading a short command such as a lookup by id.
    static func isSpace(_ c: Character) -> Bool {
        if let a = c.asciiValue { return a == 0x20 || (0x09...0x0D).contains(a) }
        return c.isWhitespace
    }

    static func isWordStart(_ c: Character) -> Bool {
        if let a = c.asciiValue { return isWordStartByte(a) }
        return c.isLetter || (!c.isWhitespace && !c.isPunctuation && !c.isSymbol)
    }

    static func isWordPart(_ c: Character) -> Bool {
        if let a = c.asciiValue { return isWordPartByte(a) }
        return isWordStart(c)
    }

    private static func isWordStartByte(_ a: UInt8) -> Bool { a == 0x5F || (0x61...0x7A).contains(a | 0x20) }
    private static func isWordPartByte(_ a: UInt8) -> Bool {
        a == 0x5F || a == 0x2E || a == 0x40 || (0x30...0x39).contains(a) || (0x61...0x7A).contains(a | 0x20)
    }

    /// A parameter name: a letter or `_`, then letters, digits and `_`.
    public static func isParameterName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// `$NAME`: the parameter's value as the token it reads as on its own (a number,
    /// date, duration or word), or else as a quoted string. Never more than one token,
    /// so a value cannot add syntax to the command.
    private mutating func readParameter(start: SourceLocation, startIndex: Int) throws -> Token {
        advance()
        while let d = current, d == "_" || (d.isASCII && (d.isLetter || d.isNumber)) { advance() }
        let span = SourceSpan(start: start, length: index - startIndex)
        let written = text(startIndex..<index)
        let name = String(written.dropFirst())
        guard !name.isEmpty else {
            throw Diagnostic.usage(.parameterNameMissing, at: span)
        }
        guard let value = parameters[name] else {
            let known = parameters.keys.sorted()
            throw Diagnostic.usage(.unknownParameter, written, name, known.map { "$" + $0 }.joined(separator: ", "), at: span,
                                   suggestion: nearestName(to: name, among: known).map { "$" + $0 })
        }
        var kind = Token.Kind.string(value)
        if let tokens = try? Lexer.tokenize(value), tokens.count == 2, tokens[0].text == value {
            switch tokens[0].kind {
            case .word, .integer, .number, .date, .duration: kind = tokens[0].kind
            default: break
            }
        }
        return Token(kind: kind, span: span, text: written)
    }

    private mutating func readString(start: SourceLocation) throws -> String {
        let open = current!
        let close: Character = open == "“" ? "”" : open
        advance()
        var s = ""
        while let c = current {
            if c == close { advance(); return s }
            if c == "\\" {
                advance()
                guard let e = current else { break }
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "\\": s.append("\\")
                case "\"": s.append("\"")
                case "'": s.append("'")
                default: s.append("\\"); s.append(e)
                }
                advance()
                continue
            }
            if c == "\n" { break }
            s.append(c)
            advance()
        }
        throw Diagnostic.usage(.unterminatedString, at: SourceSpan(start: start, length: 1),
                               suggestion: nil)
    }

    /// The name between backticks; a doubled backtick stands for one.
    private mutating func readQuotedName(start: SourceLocation) throws -> String {
        advance()
        var name = ""
        while let c = current, c != "\n" {
            advance()
            if c == "`" {
                if current == "`" { advance(); name.append("`"); continue }
                guard !name.isEmpty else {
                    throw Diagnostic.usage(.emptyFieldName, at: SourceSpan(start: start, length: 2))
                }
                return name
            }
            name.append(c)
        }
        throw Diagnostic.usage(.unterminatedFieldName, at: SourceSpan(start: start, length: 1))
    }

    private mutating func readNumeric(start: SourceLocation, startIndex: Int) throws -> Token {
        func span() -> SourceSpan { SourceSpan(start: start, length: max(1, index - startIndex)) }
        func token(_ kind: Token.Kind) -> Token { Token(kind: kind, span: span(), text: text(startIndex..<index)) }
        if current == "-" || current == "+" { advance() }
        while let c = current, c.isASCII, c.isNumber { advance() }
        // A date: 2026-11-01
        if current == "-", index - startIndex == 4, peek()?.isNumber == true, char(startIndex) != "-" {
            while let c = current, c.isASCII, c.isNumber || c == "-" { advance() }
            let text = self.text(startIndex..<index)
            guard let day = Day(iso: text) else {
                throw Diagnostic.usage(.invalidDate, text, at: span())
            }
            return token(.date(day))
        }
        var isFraction = false
        if current == ".", let n = peek(), n.isASCII, n.isNumber {
            isFraction = true
            advance()
            while let c = current, c.isASCII, c.isNumber { advance() }
        }
        if let e = current, e == "e" || e == "E", let n = peek(), n.isNumber || n == "-" || n == "+" {
            // An exponent only when digits follow; "1e" is not a number.
            var k = 1
            if n == "-" || n == "+" { k = 2 }
            if let d = peek(k), d.isASCII, d.isNumber {
                isFraction = true
                for _ in 0..<k { advance() }
                while let c = current, c.isASCII, c.isNumber { advance() }
            }
        }
        let numberText = text(startIndex..<index)
        // A duration: 90d, 36h, 2w, 3mo, 1y, 30min, 10s
        if let c = current, c.isLetter {
            let unitStart = index
            while let d = current, d.isLetter { advance() }
            let unit = text(unitStart..<index).lowercased()
            // One table of duration words for queries and policy values (`set policy ... = 3min`).
            let perUnit = PolicyKey.durationUnits.first { $0.words.contains(unit) }.map { $0.seconds / 86_400 }
            guard let perUnit, let amount = Double(numberText) else {
                throw Diagnostic.usage(.unknownDurationUnit, unit, at: span())
            }
            return token(.duration(days: amount * perUnit))
        }
        if let c = current, Lexer.isWordStart(c) || c == "_" {
            while let d = current, Lexer.isWordPart(d) { advance() }
            return token(.word(text(startIndex..<index)))
        }
        if !isFraction, let i = Int64(numberText) { return token(.integer(i)) }
        guard let d = Double(numberText), d.isFinite else {
            throw Diagnostic.usage(.numberOutOfRange, numberText, at: span())
        }
        return token(.number(d))
    }
}
