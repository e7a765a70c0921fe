import Foundation
import RapportCore

/// The inserts of one batch (`PostgresBackend+Write.swift`) as one `COPY ... FROM STDIN`:
/// an import of 100,000 customers is one statement, not 100,000.
extension PostgresBackend {
    /// The inserts as COPY text rows over the fields any of them sets (the others null),
    /// made and sent a piece at a time (`Connection.copyIn`).
    func copyInserts(_ inserts: [RecordChange], into entity: Entity) throws {
        let schema = schema(of: entity)
        var names = Set<String>()
        for insert in inserts { names.formUnion(Self.fieldNames(of: insert)) }
        names.remove(RecordField.id)
        let fields = try names.sorted().map { name -> String in
            guard schema.field(named: name) != nil else { throw SQLTranslation.unsupported("the custom field '\(name)'") }
            return name
        }
        let columns = ([RecordField.id] + fields).map(SQLTranslation.quoted).joined(separator: ", ")
        var next = inserts.startIndex
        try connection.copyIn("COPY \(SQLTranslation.table(entity)) (\(columns)) FROM STDIN") { piece in
            while next < inserts.endIndex, piece.count < Connection.copyPieceBytes {
                let insert = inserts[next]
                Self.appendCopyText(.string(insert.id), to: &piece)
                for name in fields {
                    piece.append(UInt8(ascii: "\t"))
                    Self.appendCopyText(insert.after(name) ?? .null, to: &piece)
                }
                piece.append(UInt8(ascii: "\n"))
                next += 1
            }
            return next < inserts.endIndex
        }
    }

    /// One value in COPY's text format: `\N` for null, backslash, tab and line ends
    /// escaped; numbers, dates and instants written as digits without a String between.
    static func appendCopyText(_ value: Value, to data: inout [UInt8]) {
        switch value {
        case .null: appendNull(to: &data)
        case .string(let s): appendEscaped(s, to: &data)
        case .integer(let i): appendDecimal(i, to: &data)
        case .date(let day): appendDate(day, to: &data)
        case .instant(let seconds):
            let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
            let (d, s) = second < 0 ? (days - 1, second + 86_400) : (days, second)
            appendDate(Day(daysSinceEpoch: Int32(d)), to: &data)
            data.append(UInt8(ascii: " "))
            appendTwoDigits(s / 3600, to: &data)
            data.append(UInt8(ascii: ":"))
            appendTwoDigits(s / 60 % 60, to: &data)
            data.append(UInt8(ascii: ":"))
            appendTwoDigits(s % 60, to: &data)
            data.append(contentsOf: [UInt8(ascii: "+"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        default:
            if let text = SQLTranslation.parameterText(value) { appendEscaped(text, to: &data) } else { appendNull(to: &data) }
        }
    }

    private static func appendNull(to data: inout [UInt8]) {
        data.append(UInt8(ascii: "\\"))
        data.append(UInt8(ascii: "N"))
    }

    private static func appendEscaped(_ text: String, to data: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: data.append(byte)
            }
        }
    }

    private static func appendDecimal(_ value: Int64, to data: inout [UInt8]) {
        if value < 0 { data.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let first = data.count
        repeat {
            data.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        data[first...].reverse()
    }

    private static func appendTwoDigits(_ n: Int64, to data: inout [UInt8]) {
        data.append(UInt8(ascii: "0") + UInt8(n / 10))
        data.append(UInt8(ascii: "0") + UInt8(n % 10))
    }

    /// `Day.description` (YYYY-MM-DD); a year outside 0...9999 through it as written.
    private static func appendDate(_ day: Day, to data: inout [UInt8]) {
        let (y, m, d) = day.parts
        guard (0...9999).contains(y) else {
            data.append(contentsOf: day.description.utf8)
            return
        }
        appendTwoDigits(Int64(y / 100), to: &data)
        appendTwoDigits(Int64(y % 100), to: &data)
        data.append(UInt8(ascii: "-"))
        appendTwoDigits(Int64(m), to: &data)
        data.append(UInt8(ascii: "-"))
        appendTwoDigits(Int64(d), to: &data)
    }
}
