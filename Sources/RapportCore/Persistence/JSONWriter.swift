/// Writes JSON text.
public enum JSONWriter {
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out = ByteWriter()
        write(value, &out)
        return out.bytes
    }

    private static func write(_ value: JSONValue, _ out: inout ByteWriter) {
        switch value {
        case .null: out.ascii("null")
        case .bool(let b): out.ascii(b ? "true" : "false")
        case .integer(let i): out.integer(i)
        case .double(let d): if d.isFinite { out.number(d) } else { out.ascii("null") }
        case .string(let s): out.string(s)
        case .array(let items):
            out.byte(91)
            for (i, item) in items.enumerated() {
                if i > 0 { out.byte(44) }
                write(item, &out)
            }
            out.byte(93)
        case .object(let members):
            out.byte(123)
            for (i, m) in members.enumerated() {
                if i > 0 { out.byte(44) }
                out.string(m.key)
                out.byte(58)
                write(m.value, &out)
            }
            out.byte(125)
        }
    }
}
