import Foundation
import RapportCore

/// Writing a change set's records: each run of inserts into one entity goes as one
/// `COPY ... FROM STDIN` (an import of 100,000 customers is one statement, not 100,000),
/// updates and deletes one statement each, in the set's order.
extension PostgresBackend {
    /// `beforeDelete` runs just before each delete (the bin's copy of the row).
    func write(_ changes: [RecordChange], beforeDelete: (RecordChange) throws -> Void = { _ in }) throws {
        var start = changes.startIndex
        while start < changes.endIndex {
            let change = changes[start]
            guard change.kind == .insert else {
                if change.kind == .delete { try beforeDelete(change) }
                try write(change)
                start += 1
                continue
            }
            var end = start + 1
            while end < changes.endIndex, changes[end].kind == .insert, changes[end].entity == change.entity { end += 1 }
            try copyInserts(changes[start..<end], into: change.entity)
            start = end
        }
    }

    /// The inserts as COPY text rows over the fields any of them sets (the others null).
    private func copyInserts(_ inserts: ArraySlice<RecordChange>, into entity: Entity) throws {
        let schema = schema(of: entity)
        var names = Set<String>()
        for insert in inserts { names.formUnion(insert.after.keys) }
        names.remove(RecordField.id)
        let fields = try [RecordField.id] + names.sorted().map { name -> String in
            guard schema.field(named: name) != nil else { throw SQLTranslation.unsupported("the custom field '\(name)'") }
            return name
        }
        let types = fields.map { schema.field(named: $0)!.type }
        var data: [UInt8] = []
        data.reserveCapacity(inserts.count * fields.count * 12)
        for insert in inserts {
            for (i, name) in fields.enumerated() {
                if i > 0 { data.append(UInt8(ascii: "\t")) }
                let value = name == RecordField.id ? .string(insert.id) : insert.after[name] ?? .null
                Self.appendCopyText(value, types[i], to: &data)
            }
            data.append(UInt8(ascii: "\n"))
        }
        let columns = fields.map(SQLTranslation.quoted).joined(separator: ", ")
        try connection.copyIn("COPY \(SQLTranslation.table(entity)) (\(columns)) FROM STDIN", data: data)
    }

    /// One value in COPY's text format: `\N` for null, backslash, tab and line ends escaped.
    static func appendCopyText(_ value: Value, _ type: FieldType, to data: inout [UInt8]) {
        let text: String?
        switch value {
        case .date(let day): text = day.description
        case .instant(let seconds):
            let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
            let (d, s) = second < 0 ? (days - 1, second + 86_400) : (days, second)
            text = "\(Day(daysSinceEpoch: Int32(d)).description) " + String(format: "%02lld:%02lld:%02lld+00", s / 3600, s / 60 % 60, s % 60)
        default: text = SQLTranslation.parameterText(value)
        }
        guard let text else {
            data.append(contentsOf: Array(#"\N"#.utf8))
            return
        }
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
}
