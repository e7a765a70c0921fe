import Foundation

/// The append-only journal: one change set per line, `JSON<TAB>crc32-hex`, fsync'ed
/// before the command returns. A torn last line (a crash mid-write) is dropped on
/// open; a bad line before the end means the file was damaged, and opening stops.
enum JournalCodec {
    /// The entry's line, written straight to bytes: a campaign's set holds 100,000s of
    /// changes, and a `JSONValue` tree of them cost more than the rest of the commit. The
    /// text is what `JSONWriter` makes of `RecordCodec.json` values (JournalEncodingTests).
    static func encode(_ set: ChangeSet, schemas: (Entity) -> EntitySchema) -> [UInt8] {
        let parts = encodeParts(set, schemas: schemas)
        if parts.count == 1 { return parts[0] }
        var line: [UInt8] = []
        line.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { line += part }
        return line
    }

    /// The entry's line in consecutive parts, to be written one after the other: one part,
    /// or, for a set whose first changes were written ahead (`JournalPrefix`), the header,
    /// those changes' bytes as written on the other core, and the rest (not joined: a copy
    /// of a campaign's 50 MB line into fresh pages cost as much as writing a third of it).
    static func encodeParts(_ set: ChangeSet, schemas: (Entity) -> EntitySchema) -> [[UInt8]] {
        var out = ByteWriter()
        out.reserve(256 + set.command.utf8.count + set.changes.count * 192)
        // "seq" comes first: a torn last line is recognised by how an entry starts.
        out.ascii("{\"seq\":")
        out.integer(set.sequence)
        out.ascii(",\"version\":")
        out.integer(FormatMigrations.entryVersion)
        out.ascii(",\"at\":")
        instant(set.at, &out)
        if let pinned = set.pinnedNow {
            out.ascii(",\"pinnedNow\":")
            instant(pinned, &out)
        }
        out.ascii(",\"user\":")
        out.string(set.user)
        out.ascii(",\"role\":")
        if let role = set.role { out.string(role.rawValue) } else { out.ascii("null") }
        out.ascii(",\"command\":")
        out.string(set.command)
        out.ascii(",\"fields\":[")
        for (i, a) in set.fieldAdditions.enumerated() {
            if i > 0 { out.byte(44) }
            out.ascii("{\"entity\":")
            out.string(a.entity.rawValue)
            out.ascii(",\"name\":")
            out.string(a.field.name)
            out.ascii(",\"type\":")
            out.string(a.field.type.rawValue)
            out.byte(125)
        }
        out.ascii("],\"changes\":[")
        // Each entity's schema once, not once per change.
        var orders: [Entity: [Field]] = [:]
        // Not hashed per change: a run of one entity's changes is looked up once.
        var previous: Entity?
        for i in set.changes.indices where set.changes[i].entity != previous {
            previous = set.changes[i].entity
            if orders[set.changes[i].entity] == nil { orders[set.changes[i].entity] = schemas(set.changes[i].entity).fields }
        }
        // A large entry's second half is written on another core meanwhile; the halves are
        // joined as one line, byte for byte what one pass writes.
        let count = set.changes.count
        // The checksum of the line's bytes so far, when worked out on the way.
        var checked: (crc: UInt32, through: Int)?
        if let prefix = set.journalPrefix, prefix.begins(set.changes),
           prefix.orders.allSatisfy({ orders[$0.key] == $0.value }) {
            // The first changes were written on another core ahead of the commit (a campaign's
            // messages and contacts while its rollup ran): the rest are written here meanwhile.
            let headerCRC = CRC32.checksum(out.bytes)
            var rest = ByteWriter()
            writeChanges(set.changes, prefix.count..<count, leadingComma: prefix.count > 0, sizedFor: count - prefix.count, orders, &rest)
            rest.byte(93)
            writeAfterChanges(set, &rest)
            let restCRC = CRC32.checksum(rest.bytes)
            let (prefixBytes, prefixCRC) = prefix.result()
            let crc = CRC32.combine(CRC32.combine(headerCRC, prefixCRC, secondLength: prefixBytes.count), restCRC, secondLength: rest.bytes.count)
            rest.byte(9)
            rest.ascii(hex(crc))
            rest.byte(10)
            return [out.bytes, prefixBytes, rest.bytes]
        } else if count >= Self.changesWorthSplitting, ProcessInfo.processInfo.activeProcessorCount > 1 {
            let half = count / 2
            let secondHalf = EncodedHalf()
            let done = DispatchGroup()
            DispatchQueue.global().async(group: done) { [orders] in
                var second = ByteWriter()
                writeChanges(set.changes, half..<count, leadingComma: true, sizedFor: count - half, orders, &second)
                secondHalf.bytes = second.bytes
            }
            writeChanges(set.changes, 0..<half, leadingComma: false, sizedFor: count, orders, &out)
            // The first half's checksum while the second is still being written.
            let firstCRC = CRC32.checksum(out.bytes)
            done.wait()
            checked = (CRC32.checksum(secondHalf.bytes, seed: firstCRC), out.bytes.count + secondHalf.bytes.count)
            out.append(secondHalf.bytes)
        } else {
            writeChanges(set.changes, 0..<count, leadingComma: false, sizedFor: count, orders, &out)
        }
        out.byte(93)
        writeAfterChanges(set, &out)
        var bytes = out.bytes
        let crc = checked.map { CRC32.checksum(bytes[$0.through...], seed: $0.crc) } ?? CRC32.checksum(bytes)
        bytes.append(9)
        bytes.append(contentsOf: hex(crc).utf8)
        bytes.append(10)
        return [bytes]
    }

    /// What follows the changes: policy, segments, grants, bin, import, and the closing brace.
    private static func writeAfterChanges(_ set: ChangeSet, _ out: inout ByteWriter) {
        if !set.policyChanges.isEmpty {
            // Values in the key's canonical unit (seconds for a duration), exactly as applied.
            out.ascii(",\"policy\":")
            out.append(JSONWriter.encode(.array(set.policyChanges.map {
                .object([("key", .string($0.key)), ("before", number($0.before)), ("after", number($0.after))])
            })))
        }
        if !set.segmentChanges.isEmpty {
            out.ascii(",\"segments\":")
            out.append(JSONWriter.encode(.array(set.segmentChanges.map {
                .object([("name", .string($0.name)), ("before", segment($0.before)), ("after", segment($0.after))])
            })))
        }
        if !set.grantChanges.isEmpty {
            out.ascii(",\"grants\":")
            out.append(JSONWriter.encode(grants(set.grantChanges)))
        }
        if !set.binChanges.isEmpty {
            out.ascii(",\"bin\":")
            out.append(JSONWriter.encode(binChanges(set.binChanges)))
        }
        if let summary = set.importSummary {
            out.ascii(",\"import\":")
            out.append(JSONWriter.encode(importSummary(summary)))
        }
        out.byte(125)
    }

    /// How many changes are written before the rest of a large entry is sized from them.
    static let sizingSample = 1024

    /// From how many changes an entry's two halves are written on two cores: below it,
    /// starting a thread costs about what it saves.
    static let changesWorthSplitting = 20_000

    /// The changes `range` of `changes`, each preceded by a comma except the line's first
    /// (the range's first when not `leadingComma`). A range past `sizingSample` changes
    /// reserves room for the `sizedFor` changes from its start on (the second half's too,
    /// appended to the first) from their average length, so a large line is one
    /// allocation instead of doublings that copy it and touch twice its pages.
    static func writeChanges(_ changes: [RecordChange], _ range: Range<Int>, leadingComma: Bool, sizedFor: Int,
                             _ orders: [Entity: [Field]], _ out: inout ByteWriter) {
        // A positional record's field list in the order `objectKeepingNulls` writes it, with
        // its keys' bytes, once per list; a set has a few lists, searched by identity.
        var writeOrders: [PositionalKeys] = []
        // `{"op":"insert","entity":"messages","id":` once per kind and entity, not per change.
        var openings: [(kind: RecordChange.Kind, entity: Entity, bytes: [UInt8], order: [Field])] = []
        let sizedAt = range.lowerBound + Self.sizingSample, startLength = out.bytes.count
        // By index, fields read in place: a copy of each `RecordChange` would retain every reference in it.
        for i in range {
            if i == sizedAt, range.count > 2 * Self.sizingSample {
                let perChange = (out.bytes.count - startLength) / Self.sizingSample
                out.reserve(out.bytes.count + perChange * (sizedFor - (i - range.lowerBound)) * 9 / 8 + 4096)
            }
            let entity = changes[i].entity, kind = changes[i].kind
            if i > range.lowerBound || leadingComma { out.byte(44) }
            let opening: Int
            if let known = openings.firstIndex(where: { $0.kind == kind && $0.entity == entity }) {
                opening = known
                out.append(openings[known].bytes)
            } else {
                var text = ByteWriter()
                text.ascii("{\"op\":")
                text.string(kind.rawValue)
                text.ascii(",\"entity\":")
                text.string(entity.rawValue)
                text.ascii(",\"id\":")
                openings.append((kind, entity, text.bytes, orders[entity]!))
                out.append(text.bytes)
                opening = openings.count - 1
            }
            out.string(changes[i].id)
            // The positional records read through the optional in place: `if let` copied each
            // (a retain and release of its list and values per change).
            if changes[i].positionalBefore != nil {
                if !changes[i].positionalBefore!.values.isEmpty {
                    out.ascii(",\"before\":")
                    positionalObject(changes[i].positionalBefore!, openings[opening].order, &writeOrders, &out)
                }
            } else if !changes[i].beforeIsEmpty {
                out.ascii(",\"before\":")
                objectKeepingNulls(changes[i].before, openings[opening].order, &out)
            }
            if changes[i].positionalAfter != nil {
                if !changes[i].positionalAfter!.values.isEmpty {
                    out.ascii(",\"after\":")
                    positionalObject(changes[i].positionalAfter!, openings[opening].order, &writeOrders, &out)
                }
            } else if !changes[i].afterIsEmpty {
                out.ascii(",\"after\":")
                objectKeepingNulls(changes[i].after, openings[opening].order, &out)
            }
            out.byte(125)
        }
    }

    /// A field list's write order (`writeOrder`) and each written field's key as bytes:
    /// `{"id":` for the first, then `,"campaign":` and so on, end to end in one array
    /// (`keyEnds[n]`: where the n-th ends), read without a retain per key.
    private struct PositionalKeys {
        let list: FieldList
        let written: [Int]
        let keys: [UInt8]
        let keyEnds: [Int]

        init(_ list: FieldList, _ order: [Field]) {
            self.list = list
            written = writeOrder(of: list, order)
            var key = ByteWriter(), ends: [Int] = []
            for (n, i) in written.enumerated() {
                key.byte(n == 0 ? 123 : 44)
                key.string(list.names[i])
                key.byte(58)
                ends.append(key.bytes.count)
            }
            keys = key.bytes
            keyEnds = ends
        }

        /// `values` (the record's, in its list's order) as `objectKeepingNulls` writes them.
        func write(_ values: [Value], _ out: inout ByteWriter) {
            if written.isEmpty { out.byte(123) }
            keys.withUnsafeBufferPointer { keys in
                var start = 0
                for n in written.indices {
                    out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: keys[start..<keyEnds[n]]))
                    start = keyEnds[n]
                    JournalCodec.value(values[written[n]], &out)
                }
            }
            out.byte(125)
        }
    }

    /// `[{"op":"restore","entity":"customers","id":"C1"}, ...]`.
    static func binChanges(_ changes: [BinChange]) -> JSONValue {
        .array(changes.map { .object([("op", .string($0.kind.rawValue)), ("entity", .string($0.entity.rawValue)), ("id", .string($0.id))]) })
    }

    static func binChanges(_ value: JSONValue) throws -> [BinChange] {
        guard case .array(let entries) = value else { throw LineError.malformed("bad bin") }
        return try entries.map { entry in
            guard case .object(let m) = entry,
                  case .string(let op)? = m.first(where: { $0.key == "op" })?.value, let kind = BinChange.Kind(rawValue: op),
                  case .string(let e)? = m.first(where: { $0.key == "entity" })?.value, let entity = Entity(rawValue: e),
                  case .string(let id)? = m.first(where: { $0.key == "id" })?.value
            else { throw LineError.malformed("bad bin change") }
            return BinChange(kind: kind, entity: entity, id: id)
        }
    }

    /// `{"file":..,"sha256":..,"added":[{"entity":"customers","count":N,"ids":["C1..C9"]}]}`.
    static func importSummary(_ summary: ImportSummary) -> JSONValue {
        .object([("file", .string(summary.source.file)), ("sha256", .string(summary.source.sha256)),
                 ("added", .array(summary.added.map {
                     .object([("entity", .string($0.entity.rawValue)), ("count", .integer(Int64($0.count))),
                              ("ids", .array($0.ids.map { .string($0) }))])
                 }))])
    }

    static func importSummary(_ value: JSONValue) throws -> ImportSummary {
        guard case .object(let m) = value,
              case .string(let file)? = m.first(where: { $0.key == "file" })?.value,
              case .string(let sha)? = m.first(where: { $0.key == "sha256" })?.value,
              case .array(let added)? = m.first(where: { $0.key == "added" })?.value
        else { throw LineError.malformed("bad import summary") }
        return ImportSummary(source: ImportSource(file: file, sha256: sha), added: try added.map { entry in
            guard case .object(let a) = entry,
                  case .string(let e)? = a.first(where: { $0.key == "entity" })?.value, let entity = Entity(rawValue: e),
                  case .integer(let count)? = a.first(where: { $0.key == "count" })?.value,
                  case .array(let ids)? = a.first(where: { $0.key == "ids" })?.value
            else { throw LineError.malformed("bad import summary") }
            return ImportSummary.Added(entity: entity, count: Int(count), ids: try ids.map {
                guard case .string(let id) = $0 else { throw LineError.malformed("bad import summary") }
                return id
            })
        })
    }

    /// Updates can set a field to null, so the journal keeps nulls there. Fields in the
    /// schema's order, then names outside the schema (rare) by name.
    /// The positions of `list`'s names in the order `objectKeepingNulls` writes a record
    /// of those names: the schema's order, then the others by name (the first of a repeated name).
    private static func writeOrder(of list: FieldList, _ order: [Field]) -> [Int] {
        var first: [String: Int] = [:]
        for (i, name) in list.names.enumerated() where first[name] == nil { first[name] = i }
        var written = order.compactMap { first.removeValue(forKey: $0.name) }
        written += first.sorted(by: { $0.key < $1.key }).map(\.value)
        return written
    }

    /// A positional record as `objectKeepingNulls` writes its dictionary; each field
    /// list's write order worked out once (`writeOrders`).
    /// `order` is read only for a list not met before.
    private static func positionalObject(_ record: PositionalRecord, _ order: @autoclosure () -> [Field],
                                         _ writeOrders: inout [PositionalKeys], _ out: inout ByteWriter) {
        let k: Int
        if let known = writeOrders.firstIndex(where: { $0.list === record.fields }) { k = known } else {
            k = writeOrders.count
            writeOrders.append(PositionalKeys(record.fields, order()))
        }
        // In place: a copy of the keys (`let list = writeOrders[k]`) retained and released
        // its four references per record.
        writeOrders[k].write(record.values, &out)
    }

    private static func objectKeepingNulls(_ record: [String: Value], _ order: [Field], _ out: inout ByteWriter) {
        out.byte(123)
        var written = 0
        for f in order where written < record.count {
            guard let v = record[f.name] else { continue }
            if written > 0 { out.byte(44) }
            out.string(f.name)
            out.byte(58)
            value(v, &out)
            written += 1
        }
        if written < record.count {
            let inSchema = Set(order.lazy.map(\.name).filter { record[$0] != nil })
            for (k, v) in record.sorted(by: { $0.key < $1.key }) where !inSchema.contains(k) {
                if written > 0 { out.byte(44) }
                out.string(k)
                out.byte(58)
                value(v, &out)
                written += 1
            }
        }
        out.byte(125)
    }

    /// One value as `JSONWriter.encode(RecordCodec.json(value))` writes it.
    static func value(_ value: Value, _ out: inout ByteWriter) {
        switch value {
        case .null: out.ascii("null")
        case .string(let s): out.string(s)
        case .integer(let i): out.integer(i)
        case .number(let d): if d.isFinite { out.number(d) } else { out.ascii("null") }
        case .date(let d): day(d, &out)
        case .instant(let t): instant(t, &out)
        case .list(let items):
            out.byte(91)
            for (i, item) in items.enumerated() {
                if i > 0 { out.byte(44) }
                out.string(item)
            }
            out.byte(93)
        case .boolean(let b): out.ascii(b ? "true" : "false")
        }
    }

    /// A date in quotes, as `Day.description` spells it.
    private static func day(_ d: Day, _ out: inout ByteWriter) {
        guard (0...9999).contains(d.parts.year) else { out.string(d.description); return }
        out.byte(34)
        out.day(d)
        out.byte(34)
    }

    /// An instant in quotes, as `RecordCodec.isoUTC` spells it.
    private static func instant(_ t: Int64, _ out: inout ByteWriter) {
        let days = (t - (t < 0 ? 86399 : 0)) / 86400
        guard let d = Int32(exactly: days) else { out.string(RecordCodec.isoUTC(t)); return }
        let day = Day(daysSinceEpoch: d)
        guard (0...9999).contains(day.parts.year) else { out.string(RecordCodec.isoUTC(t)); return }
        let secs = Int(t - Int64(day.daysSinceEpoch) * 86400)
        func two(_ n: Int) { out.byte(UInt8(48 + n / 10)); out.byte(UInt8(48 + n % 10)) }
        out.byte(34)
        out.day(day)
        out.byte(84)
        two(secs / 3600)
        out.byte(58)
        two(secs / 60 % 60)
        out.byte(58)
        two(secs % 60)
        out.ascii("Z\"")
    }

    static func segment(_ s: SavedSegment?) -> JSONValue {
        guard let s else { return .null }
        return .object([("name", .string(s.name)), ("entity", .string(s.entity.rawValue)), ("condition", .string(s.condition)),
                        ("savedBy", .string(s.savedBy)), ("savedAt", .string(RecordCodec.isoUTC(s.savedAt)))])
    }

    /// A segment as `segment(_:)` wrote it; nil for null. A condition is kept as text and
    /// checked when used, so a segment this Rapport cannot check still opens.
    static func segment(_ value: JSONValue) throws -> SavedSegment? {
        if case .null = value { return nil }
        guard case .object(let m) = value,
              case .string(let name)? = m.first(where: { $0.key == "name" })?.value,
              case .string(let e)? = m.first(where: { $0.key == "entity" })?.value, let entity = Entity(rawValue: e),
              case .string(let condition)? = m.first(where: { $0.key == "condition" })?.value,
              case .string(let by)? = m.first(where: { $0.key == "savedBy" })?.value,
              case .string(let at)? = m.first(where: { $0.key == "savedAt" })?.value,
              let time = Clock.parseISO8601(at, defaultZone: .gmt)
        else { throw LineError.malformed("bad segment") }
        return SavedSegment(name: name, entity: entity, condition: condition, savedBy: by, savedAt: time)
    }

    /// `[{"user":..,"before":ROLE|null,"after":ROLE|null}, ...]`
    static func grants(_ changes: [GrantChange]) -> JSONValue {
        .array(changes.map {
            .object([("user", .string($0.user)), ("before", $0.before.map { .string($0.rawValue) } ?? .null),
                     ("after", $0.after.map { .string($0.rawValue) } ?? .null)])
        })
    }

    /// The grant changes `grants(_:)` wrote; a role this Rapport does not know is not guessed at.
    static func grantChanges(_ value: JSONValue) throws -> [GrantChange] {
        guard case .array(let entries) = value else { throw LineError.malformed("bad grants") }
        func role(_ v: JSONValue?) throws -> Role? {
            switch v {
            case nil, .null?: return nil
            case .string(let name)?:
                guard let r = Role(rawValue: name) else { throw LineError.malformed("unknown role '\(name)'") }
                return r
            default: throw LineError.malformed("bad grant change")
            }
        }
        return try entries.map { entry in
            guard case .object(let m) = entry, case .string(let user)? = m.first(where: { $0.key == "user" })?.value
            else { throw LineError.malformed("bad grant change") }
            return GrantChange(user: user, before: try role(m.first(where: { $0.key == "before" })?.value),
                               after: try role(m.first(where: { $0.key == "after" })?.value))
        }
    }

    private static func number(_ d: Double) -> JSONValue {
        d == d.rounded() && abs(d) < 1e15 ? .integer(Int64(d)) : .double(d)
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    enum LineError: Error, CustomStringConvertible {
        case checksum
        case malformed(String)
        case newer(NewerFormatError)

        /// What `--check` and the damage message say of the entry.
        var description: String {
            switch self {
            case .checksum: "bad checksum"
            case .malformed(let why): why
            case .newer(let e): e.description
            }
        }
    }

    /// Checks a line's checksum and decodes it, adding custom fields to the store's
    /// schemas as they appear so values can be typed.
    static func decode(_ line: ArraySlice<UInt8>, store: Store, cipher: StoreCipher? = nil) throws -> ChangeSet {
        guard let tab = line.lastIndex(of: 9), line.endIndex - tab == 9 else { throw LineError.checksum }
        var body = Array(line[line.startIndex..<tab])
        guard let stored = UInt32(String(decoding: line[(tab + 1)...], as: UTF8.self), radix: 16),
              CRC32.checksum(body) == stored else { throw LineError.checksum }
        // An encrypted store takes sealed entries only: a plain line there was not written by it.
        switch (cipher, StoreCipher.isSealedEntry(body)) {
        case (let cipher?, true): body = try cipher.openEntry(body)
        case (nil, true): throw LineError.malformed("an encrypted entry, in a store that is not encrypted")
        case (_?, false): throw LineError.malformed("a plain entry, in an encrypted store")
        case (nil, false): break
        }
        let json: JSONValue
        do { json = try JSONScanner.withScanner(body) { try $0.readValue() } } catch { throw LineError.malformed("\(error)") }
        guard case .object(let stored) = json else { throw LineError.malformed("not an object") }
        // An entry without a version was written before versions were recorded: version 1.
        var version: Int64 = 1
        if let v = stored.first(where: { $0.key == "version" })?.value {
            guard case .integer(let n) = v, n >= 1 else { throw LineError.malformed("bad version") }
            version = n
        }
        let members: FormatMigrations.EntryMembers
        do { members = try FormatMigrations.migrateEntry(stored, from: version) } catch let e as NewerFormatError { throw LineError.newer(e) }
        func member(_ k: String) -> JSONValue? { members.first { $0.key == k }?.value }
        guard case .integer(let seq)? = member("seq"), case .string(let at)? = member("at"),
              case .string(let user)? = member("user"), case .string(let command)? = member("command"),
              let time = Clock.parseISO8601(at, defaultZone: .gmt) else { throw LineError.malformed("missing header fields") }
        var set = ChangeSet(at: time, user: user, command: command)
        set.sequence = seq
        switch member("role") {
        case .string(let r)?:
            guard let role = Role(rawValue: r) else { throw LineError.malformed("unknown role '\(r)'") }
            set.role = role
        case .null?: break
        default: throw LineError.malformed("missing role")
        }
        if let pinned = member("pinnedNow") {
            guard case .string(let p) = pinned, let t = Clock.parseISO8601(p, defaultZone: .gmt) else { throw LineError.malformed("bad pinnedNow") }
            set.pinnedNow = t
        }
        if case .array(let fields)? = member("fields") {
            for f in fields {
                guard case .object(let m) = f,
                      case .string(let e)? = m.first(where: { $0.key == "entity" })?.value, let entity = Entity(rawValue: e),
                      case .string(let name)? = m.first(where: { $0.key == "name" })?.value,
                      case .string(let t)? = m.first(where: { $0.key == "type" })?.value, let type = FieldType(rawValue: t)
                else { throw LineError.malformed("bad field") }
                set.fieldAdditions.append(FieldAddition(entity: entity, field: Field(name, type, isCustom: true)))
            }
        }
        var schemas: [Entity: EntitySchema] = [:]
        for e in Entity.allCases { schemas[e] = store[e].schema }
        for a in set.fieldAdditions { schemas[a.entity]!.append(a.field) }
        // Before the ledger (version 3) customers stored `points`: what each change moved them.
        var legacyPointsMoves: [(customer: String, change: Int64)] = []
        func legacyPoints(_ m: [(key: String, value: JSONValue)], _ key: String) -> Int64 {
            guard case .object(let fields)? = m.first(where: { $0.key == key })?.value,
                  case .integer(let n)? = fields.first(where: { $0.key == CustomerField.points })?.value else { return 0 }
            return n
        }
        if case .array(let changes)? = member("changes") {
            for c in changes {
                guard case .object(let m) = c,
                      case .string(let op)? = m.first(where: { $0.key == "op" })?.value, let kind = RecordChange.Kind(rawValue: op),
                      case .string(let e)? = m.first(where: { $0.key == "entity" })?.value, let entity = Entity(rawValue: e),
                      case .string(let id)? = m.first(where: { $0.key == "id" })?.value
                else { throw LineError.malformed("bad change") }
                func record(_ key: String) throws -> [String: Value] {
                    guard case .object(let fields)? = m.first(where: { $0.key == key })?.value else { return [:] }
                    var r: [String: Value] = [:]
                    for (name, v) in fields {
                        guard let field = schemas[entity]!.field(named: name) else { continue }
                        guard let value = RecordCodec.value(v, as: field.type) else { throw LineError.malformed("bad value for \(name)") }
                        r[field.name] = value
                    }
                    return r
                }
                set.changes.append(RecordChange(kind: kind, entity: entity, id: id, before: try record("before"), after: try record("after")))
                if version < 3, entity == .customers, kind != .delete {
                    let moved = legacyPoints(m, "after") &- (kind == .update ? legacyPoints(m, "before") : 0)
                    if moved != 0 { legacyPointsMoves.append((id, moved)) }
                }
            }
        }
        if let policy = member("policy") {
            guard case .array(let entries) = policy else { throw LineError.malformed("bad policy") }
            for p in entries {
                guard case .object(let m) = p, case .string(let name)? = m.first(where: { $0.key == "key" })?.value,
                      let before = m.first(where: { $0.key == "before" })?.value.number,
                      let after = m.first(where: { $0.key == "after" })?.value.number
                else { throw LineError.malformed("bad policy change") }
                // A key this Rapport does not know, or a value it would refuse, is not guessed at.
                guard let key = PolicyCatalogue.key(named: name) else { throw LineError.malformed("unknown policy key '\(name)'") }
                guard key.accepts(after) else { throw LineError.malformed("policy \(key.name) cannot be \(after)") }
                set.policyChanges.append(PolicyChange(key: key.name, before: before, after: after))
            }
        }
        if let segments = member("segments") {
            guard case .array(let entries) = segments else { throw LineError.malformed("bad segments") }
            for entry in entries {
                guard case .object(let m) = entry, case .string(let name)? = m.first(where: { $0.key == "name" })?.value
                else { throw LineError.malformed("bad segment change") }
                set.segmentChanges.append(SegmentChange(name: name, before: try segment(m.first(where: { $0.key == "before" })?.value ?? .null),
                                                        after: try segment(m.first(where: { $0.key == "after" })?.value ?? .null)))
            }
        }
        if let grants = member("grants") { set.grantChanges = try grantChanges(grants) }
        if let bin = member("bin") { set.binChanges = try binChanges(bin) }
        if let summary = member("import") {
            set.importSummary = try importSummary(summary)
            set.importSource = set.importSummary?.source
        }
        // Before the bin (version 5), a delete removed records for good.
        if case .string(FormatMigrations.deletesGone)? = member(FormatMigrations.deletesMember) { set.deletesGoToBin = false }
        if version < 3 { FormatMigrations.ledgerFromLegacyPoints(&set, pointsMoves: legacyPointsMoves, store: store) }
        return set
    }
}

private extension JSONValue {
    var number: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .double(let d): return d
        default: return nil
        }
    }
}

/// Applies a journal's (or the audit log's) entries to a store, in order, up to the
/// first one that cannot be trusted.
struct JournalReplay {
    /// Why reading stopped before the end.
    struct Problem {
        var offset: Int
        /// The entry's number in the file, from 1.
        var entry: Int
        var reason: String
        /// The last entry, cut short or with a bad checksum: a write a crash interrupted.
        var isTornTail: Bool
        /// An entry written by a newer Rapport: not damage, and never to be dropped.
        var isNewerFormat = false
        /// The entry is later than the one that comes next: the file does not follow the
        /// store (another process's journal read past a snapshot, or an audit log's tail
        /// that starts too late).
        var isGap = false
        /// A bulk import's entry whose snapshot is not the one read: its records never
        /// landed (a crash before the snapshot's rename) or are being written now.
        var isUnlandedImport = false
    }

    /// Bytes up to the end of the last good entry.
    var validBytes = 0
    var entries = 0
    var applied = 0
    var firstSequence: Int64?
    var lastSequence: Int64?
    /// Entries met a second time, skipped: see `run`.
    var repeated = 0
    var problem: Problem?

    private static let entryStart = Array("{\"seq\":".utf8)

    /// An insert whose id the store (or an earlier change of the same set) already holds:
    /// applying it would leave two records with one id, and a snapshot that does not read.
    static func insertOfExistingID(_ set: ChangeSet, _ store: Store) -> RecordChange? {
        var live: [Entity: [String: Bool]] = [:]
        for c in set.changes where c.kind != .update {
            let exists = live[c.entity]?[c.id] ?? (store[c.entity].row(ofID: c.id) != nil)
            if c.kind == .insert, exists { return c }
            live[c.entity, default: [:]][c.id] = c.kind == .insert
        }
        return nil
    }

    /// Entries at or below the store's sequence are already in it and are skipped; the
    /// others must follow it without a gap, or the file does not belong to this snapshot.
    static func run(_ bytes: [UInt8], into store: Store?, cipher: StoreCipher? = nil) -> JournalReplay {
        var replay = JournalReplay()
        var start = 0
        var expected = store.map { $0.sequence + 1 }
        var seen: [Int64: UInt32] = [:]
        while start < bytes.count {
            let entry = replay.entries + 1
            let newline = bytes[start...].firstIndex(of: 10)
            let end = newline ?? bytes.count
            let looksLikeEntry = bytes[start..<end].starts(with: entryStart) || bytes[start..<end].starts(with: StoreCipher.entryPrefix)
            func stop(_ reason: String, torn: Bool) {
                // Only our own half-written entry may be cut off; anything else is kept for a person to look at.
                replay.problem = Problem(offset: start, entry: entry, reason: reason, isTornTail: torn && looksLikeEntry)
            }
            guard let newline else { stop("it has no end of line", torn: true); break }
            let set: ChangeSet
            do {
                set = try JournalCodec.decode(bytes[start..<newline], store: store ?? Store(), cipher: cipher)
            } catch JournalCodec.LineError.newer(let e) {
                stop("it was \(e)", torn: false)
                replay.problem?.isNewerFormat = true
                break
            } catch JournalCodec.LineError.checksum {
                stop(looksLikeEntry ? "its checksum does not match" : "it is not a journal entry", torn: newline == bytes.count - 1)
                break
            } catch {
                stop("it cannot be read (\(error))", torn: false)
                break
            }
            if let e = expected, set.sequence > e {
                stop("it holds change \(set.sequence) but change \(e) comes next: the file does not belong with this snapshot", torn: false)
                replay.problem?.isGap = true
                break
            }
            if replay.firstSequence == nil { replay.firstSequence = set.sequence }
            // The line's checksum, to tell the same entry met again from another one.
            let checksum = UInt32(String(decoding: bytes[(newline - 8)..<newline], as: UTF8.self), radix: 16) ?? 0
            if let last = replay.lastSequence, set.sequence <= last {
                // A crash after a snapshot appended the journal to the audit log but before
                // the journal was emptied makes the next snapshot append those entries again.
                if seen[set.sequence] == checksum {
                    replay.repeated += 1
                    replay.entries = entry
                    start = newline + 1
                    replay.validBytes = start
                    continue
                }
                stop("change \(set.sequence) comes after change \(last): the entries are out of order", torn: false)
                break
            }
            if set.importSummary != nil, let store, set.sequence > store.sequence {
                stop("it is an import whose records are not in the snapshot read", torn: false)
                replay.problem?.isUnlandedImport = true
                break
            }
            seen[set.sequence] = checksum
            replay.lastSequence = set.sequence
            if let store, set.sequence > store.sequence, let clash = JournalReplay.insertOfExistingID(set, store) {
                stop("it adds \(clash.entity.singular) \(clash.id), which the store already holds", torn: false)
                break
            }
            if let store, set.sequence > store.sequence {
                store.apply(set)
                replay.applied += 1
            }
            if let s = store { expected = s.sequence + 1 }
            replay.entries = entry
            start = newline + 1
            replay.validBytes = start
        }
        return replay
    }
}

/// The second half of a large entry's changes, written on another thread (`JournalCodec.encode`
/// reads it only after waiting for that thread).
private final class EncodedHalf: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// A set's first changes written as journal text on another core ahead of its commit (a
/// campaign's messages and contacts, two thirds of its entry, while its rollup runs on the
/// committing thread), so that `JournalCodec.encode` writes only the rest and joins the
/// bytes and checksums. Those changes must stay as they were written: a campaign's rollup
/// only appends changes and merges into customers' own changes, and the changes written
/// ahead hold no customer's (`Database.encodeJournalAhead`). `encode` uses the bytes only
/// when the set still has at least `count` changes and its schemas order each entity's
/// fields as they were written with (`orders`); otherwise the entry is written whole.
public final class JournalPrefix: @unchecked Sendable, Equatable {
    /// The set's changes `0..<count` are written.
    let count: Int
    let orders: [Entity: [Field]]
    /// The changes written, kept to check that the set still begins with them.
    private let parts: [[RecordChange]]
    private var bytes: [UInt8] = []
    private var crc: UInt32 = 0
    private let done = DispatchGroup()

    /// Writes `parts` joined (the set's first changes, in order) on another thread; the
    /// arrays are only read there, so the set's own array is not shared with that thread
    /// (no copy of it when the rollup appends).
    init(_ parts: [[RecordChange]], orders: [Entity: [Field]]) {
        let count = parts.reduce(0) { $0 + $1.count }
        self.count = count
        self.orders = orders
        self.parts = parts
        DispatchQueue.global().async(group: done) { [self] in
            var out = ByteWriter()
            var written = 0
            for part in parts {
                JournalCodec.writeChanges(part, part.indices, leadingComma: written > 0, sizedFor: count - written, orders, &out)
                written += part.count
            }
            crc = CRC32.checksum(out.bytes)
            bytes = out.bytes
        }
    }

    /// Whether `changes` begin with the changes written, in their order (the same ids,
    /// entities and kinds). Nothing between the build and the commit may reorder, remove
    /// or put changes before them; if something did, the whole line is written instead of
    /// one that is not what is applied. The ids share their storage: cheap to compare.
    func begins(_ changes: [RecordChange]) -> Bool {
        guard count <= changes.count else { return false }
        var i = 0
        for part in parts {
            for j in part.indices {
                guard changes[i].entity == part[j].entity, changes[i].kind == part[j].kind, changes[i].id == part[j].id else { return false }
                i += 1
            }
        }
        return true
    }

    /// The bytes and their checksum, once written.
    func result() -> (bytes: [UInt8], crc: UInt32) {
        done.wait()
        return (bytes, crc)
    }

    /// Not part of a set's value: the same text as its changes make.
    public static func == (a: JournalPrefix, b: JournalPrefix) -> Bool { true }
}
