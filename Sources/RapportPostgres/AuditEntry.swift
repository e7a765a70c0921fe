import RapportCore

/// The audit row's `changes` (docs/postgres.md "Schema"): a JSON array with one object per
/// record change, keys in order (`after`, `before`, `entity`, `id`, `kind`), then one per
/// policy key set (`after`, `before`, `key`, `kind`: "policy") and segment saved or deleted
/// (`after`, `before`, `kind`: "segment", `name`). An import adding
/// at least the policy's `import.bulkRows` records is audited as the embedded store audits
/// it (docs/storage.md "Bulk imports"): one `import` object naming the file, its SHA-256 and
/// per entity the count and the ids as runs, then its updates whole; its inserts are in the
/// tables and are not copied a second time. Written by hand: Foundation's JSONSerialization
/// took about 30 s for the few tens of thousands of changes of one `import store`.
enum AuditEntry {
    static func changes(_ set: ChangeSet, bulkRows: Int) -> String {
        var out = "["
        var first = true
        func separate() {
            if !first { out += "," }
            first = false
        }
        if let source = set.importSource, set.isBulkImport(least: bulkRows) {
            let summary = ImportSummary.of(set.changes, source: source)
            separate()
            out += "{\"added\":["
            for (i, added) in summary.added.enumerated() {
                if i > 0 { out += "," }
                out += "{\"count\":\(added.count),\"entity\":"
                string(added.entity.rawValue, &out)
                out += ",\"ids\":["
                for (j, id) in added.ids.enumerated() {
                    if j > 0 { out += "," }
                    string(id, &out)
                }
                out += "]}"
            }
            out += "],\"file\":"
            string(source.file, &out)
            out += ",\"kind\":\"import\",\"sha256\":"
            string(source.sha256, &out)
            out += "}"
            for change in set.changes where change.kind != .insert {
                separate()
                record(change, &out)
            }
        } else {
            for change in set.changes {
                separate()
                record(change, &out)
            }
        }
        for change in set.policyChanges {
            separate()
            out += "{\"after\":\(number(change.after)),\"before\":\(number(change.before)),\"key\":"
            string(change.key, &out)
            out += ",\"kind\":\"policy\"}"
        }
        for change in set.segmentChanges {
            separate()
            segment(change, &out)
        }
        out += "]"
        return out
    }

    private static func record(_ change: RecordChange, _ out: inout String) {
        out += "{\"after\":"
        object(change.after, &out)
        out += ",\"before\":"
        object(change.before, &out)
        out += ",\"entity\":"
        string(change.entity.rawValue, &out)
        out += ",\"id\":"
        string(change.id, &out)
        out += ",\"kind\":"
        string(change.kind.rawValue, &out)
        out += "}"
    }

    /// A segment saved, replaced or deleted: `{"after", "before", "kind": "segment", "name"}`,
    /// each side the segment (`condition`, `entity`, `name`, `savedAt`, `savedBy`) or null.
    private static func segment(_ change: SegmentChange, _ out: inout String) {
        func side(_ segment: SavedSegment?) {
            guard let segment else { out += "null"; return }
            out += "{\"condition\":"
            string(segment.condition, &out)
            out += ",\"entity\":"
            string(segment.entity.rawValue, &out)
            out += ",\"name\":"
            string(segment.name, &out)
            out += ",\"savedAt\":\(segment.savedAt),\"savedBy\":"
            string(segment.savedBy, &out)
            out += "}"
        }
        out += "{\"after\":"
        side(change.after)
        out += ",\"before\":"
        side(change.before)
        out += ",\"kind\":\"segment\",\"name\":"
        string(change.name, &out)
        out += "}"
    }

    private static func object(_ record: [String: Value], _ out: inout String) {
        out += "{"
        for (i, key) in record.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            string(key, &out)
            out += ":"
            value(record[key]!, &out)
        }
        out += "}"
    }

    /// A policy value: never NaN or infinite (the catalogue's bounds); JSON has no other doubles.
    private static func number(_ d: Double) -> String { d.isFinite ? d.description : "null" }

    static func value(_ v: Value, _ out: inout String) {
        switch v {
        case .null: out += "null"
        case .string(let s): string(s, &out)
        case .integer(let i): out += String(i)
        // A value is never NaN or infinite (those are missing); JSON has no other doubles.
        case .number(let d): out += d.isFinite ? d.description : "null"
        case .date(let d): string(d.description, &out)
        case .instant(let t): out += String(t)
        case .boolean(let b): out += b ? "true" : "false"
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                string(item, &out)
            }
            out += "]"
        }
    }

    static func string(_ s: String, _ out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
