import XCTest
@testable import RapportCore

/// The journal line is written straight to bytes (`JournalCodec.encode`): it must be the
/// text the generic path makes (`RecordCodec.json` through `JSONWriter`), and the decoder
/// must read back every value type as it was.
final class JournalEncodingTests: XCTestCase {
    /// Every kind of value, with the edges a hand-written encoder gets wrong.
    static let values: [Value] = [
        .null,
        .string(""), .string("plain"), .string("王芳 您好，上海门店"), .string("quote \" backslash \\ slash /"),
        .string("new\nline\ttab\rreturn"), .string("control \u{1}\u{1F} end"), .string("emoji 👩‍💼 and é"),
        .integer(0), .integer(-1), .integer(42), .integer(Int64.max), .integer(Int64.min),
        .number(0.5), .number(-0.25), .number(3), .number(-7), .number(1e15), .number(123456789.125), .number(1e300),
        .number(5e-324), .number(0.1 + 0.2),
        .date(Day(iso: "2026-11-29")!), .date(Day(iso: "0001-01-01")!), .date(Day(iso: "9999-12-31")!),
        .instant(0), .instant(1_800_000_123), .instant(-1), .instant(-86_400), .instant(Clock.instantRange.lowerBound),
        .instant(Clock.instantRange.upperBound),
        .list(["sms"]), .list(["sms", "邮件", "a\"b", "x\\y"]),
        .boolean(true), .boolean(false),
    ]

    func testEachValueIsWrittenAsTheGenericWriterWritesIt() {
        for value in Self.values + [.number(.nan), .number(.infinity), .list([])] {
            var out = ByteWriter()
            JournalCodec.value(value, &out)
            XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), String(decoding: JSONWriter.encode(RecordCodec.json(value)), as: UTF8.self),
                           "\(value)")
        }
    }

    /// A set with every value type in inserts and updates (nulls an update sets kept),
    /// custom fields, names outside the schema, a pinned clock, policy and segments.
    func testAWholeEntryIsByteForByteTheGenericOneAndReadsBack() throws {
        let types: [FieldType] = [.string, .integer, .number, .date, .instant, .list, .boolean]
        var set = ChangeSet(at: 1_800_000_000, user: "王 \"admin\"", command: "campaign \"会员日\"\n  send sms \"{name}您好\"\nend")
        set.sequence = 41
        set.pinnedNow = 1_577_836_800
        set.role = .manager
        set.fieldAdditions = types.map { FieldAddition(entity: .customers, field: Field("custom\($0.rawValue.capitalized)", $0, isCustom: true)) }
        func typed(_ type: FieldType) -> [Value] {
            Self.values.filter { v in
                switch (type, v) {
                case (.string, .string), (.integer, .integer), (.number, .number), (.date, .date), (.instant, .instant),
                     (.list, .list), (.boolean, .boolean): return true
                default: return false
                }
            }
        }
        let longest = types.map { typed($0).count }.max()!
        for i in 0..<longest {
            var record: [String: Value] = [RecordField.id: .string("C\(i)"), CustomerField.name: .string("客户\(i)")]
            for (type, addition) in zip(types, set.fieldAdditions) {
                let candidates = typed(type)
                record[addition.field.name] = candidates[i % candidates.count]
            }
            set.changes.append(RecordChange(kind: .insert, entity: .customers, id: "C\(i)", after: record))
        }
        set.changes.append(RecordChange(kind: .update, entity: .customers, id: "C0",
                                        before: ["customString": .string("plain"), CustomerField.lastContact: .null],
                                        after: ["customString": .null, CustomerField.lastContact: .date(Day(iso: "2026-12-24")!)]))
        set.changes.append(RecordChange(kind: .insert, entity: .messages, id: "M0000001", after: [
            RecordField.id: .string("M0000001"), "campaign": .string("会员日"), RecordField.customer: .string("C0"),
            "channel": .string("sms"), "to": .string("+86 138 0000 0000"), "text": .string("王芳您好，\"双倍\"积分"),
            "at": .instant(1_800_000_000), "status": .string("pending"),
        ]))
        set.changes.append(RecordChange(kind: .delete, entity: .contacts, id: "K0000009", before: [
            RecordField.id: .string("K0000009"), RecordField.customer: .string("C1"), RecordField.date: .date(Day(iso: "2026-01-02")!),
        ]))
        set.policyChanges = [PolicyChange(key: PolicyCatalogue.all[0].name, before: 180, after: 240.5)]
        set.segmentChanges = [SegmentChange(name: "金卡", before: nil, after: SavedSegment(name: "金卡", entity: .customers,
                                                                                        condition: "tier = \"gold\"", savedBy: "a", savedAt: 1_800_000_000))]

        let schemas = { (e: Entity) -> EntitySchema in
            var schema = Store()[e].schema
            for a in set.fieldAdditions where a.entity == e { schema.append(a.field) }
            return schema
        }
        let bytes = JournalCodec.encode(set, schemas: schemas)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: Self.genericLine(set, schemas: schemas), as: UTF8.self))

        let read = try JournalCodec.decode(bytes.dropLast(), store: Store())
        XCTAssertEqual(read, set, "every value reads back as it was written")
    }

    /// Grant changes (given, changed, revoked; names that need escaping) and bin changes
    /// (a restore with the insert that brings the record back, purges of several entities)
    /// read back equal, beside a delete that goes to the bin.
    func testGrantAndBinChangesReadBack() throws {
        var set = ChangeSet(at: 1_800_000_000, user: "admin", command: "restore C7")
        set.sequence = 9
        set.role = .admin
        set.grantChanges = [
            GrantChange(user: "li", before: nil, after: .trainee),
            GrantChange(user: "王 \"经理\"", before: .agent, after: .manager),
            GrantChange(user: "old\\user", before: .admin, after: nil),
        ]
        set.changes = [
            RecordChange(kind: .insert, entity: .customers, id: "C7", after: [RecordField.id: .string("C7"), CustomerField.name: .string("回来")]),
            RecordChange(kind: .delete, entity: .contacts, id: "K1", before: [RecordField.id: .string("K1"), RecordField.customer: .string("C7")]),
        ]
        set.binChanges = [BinChange(kind: .restore, entity: .customers, id: "C7"), BinChange(kind: .purge, entity: .tickets, id: "T0000002"),
                          BinChange(kind: .purge, entity: .contacts, id: "K\"9")]
        let schemas = { (e: Entity) in Store()[e].schema }
        let bytes = JournalCodec.encode(set, schemas: schemas)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains(#""grants":[{"user":"li","before":null,"after":"trainee"}"#), text)
        XCTAssertTrue(text.contains(#""bin":[{"op":"restore","entity":"customers","id":"C7"}"#), text)
        let read = try JournalCodec.decode(bytes.dropLast(), store: Store())
        XCTAssertEqual(read, set)
        XCTAssertEqual(read.grantChanges, set.grantChanges, "the grants themselves, not only the set")
        XCTAssertEqual(read.binChanges, set.binChanges)
        XCTAssertTrue(read.deletesGoToBin)

        // Grants alone (`grant`, `revoke` change no record) and bin changes alone (`purge`) too.
        var grantsOnly = set, binOnly = set
        grantsOnly.changes = []
        grantsOnly.binChanges = []
        binOnly.changes = []
        binOnly.grantChanges = []
        for only in [grantsOnly, binOnly] {
            let line = JournalCodec.encode(only, schemas: schemas)
            XCTAssertEqual(try JournalCodec.decode(line.dropLast(), store: Store()), only)
        }
    }

    /// A name the schema does not hold is still written (after the schema's, by name),
    /// as the generic path wrote it; the decoder leaves it out.
    func testNamesOutsideTheSchemaComeLastByName() {
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.changes = [RecordChange(kind: .insert, entity: .contacts, id: "K1", after: [
            "zeta": .integer(1), RecordField.id: .string("K1"), "alpha": .string("a"), RecordField.customer: .string("C1"),
        ])]
        let schemas = { (e: Entity) in Store()[e].schema }
        let text = String(decoding: JournalCodec.encode(set, schemas: schemas), as: UTF8.self)
        XCTAssertEqual(text, String(decoding: Self.genericLine(set, schemas: schemas), as: UTF8.self))
        XCTAssertTrue(text.contains(#""after":{"id":"K1","customer":"C1","alpha":"a","zeta":1}"#), text)
    }

    /// Positional inserts (a campaign's messages and contacts) are written as the same
    /// records as dictionaries, byte for byte: the schema's order whatever the list's order,
    /// nulls kept, names outside the schema last by name; they read back as dictionaries.
    func testPositionalInsertsAreWrittenAsTheirDictionaries() throws {
        let messages = FieldList(["status", "text", RecordField.id, "zeta", "at", RecordField.customer, "alpha", "channel"])
        let contacts = FieldList([RecordField.date, "channel", "by", "note", RecordField.customer, RecordField.id])
        var positional = ChangeSet(at: 1_800_000_000, user: "u", command: "campaign x")
        positional.sequence = 3
        for i in 0..<40 {
            let value = Self.values[i % Self.values.count]
            positional.changes.append(RecordChange(insert: .messages, id: "M\(i)", record: PositionalRecord(messages, [
                .string("pending"), .string("王芳您好 \"\(i)\""), .string("M\(i)"), value, .instant(Int64(i)), .string("C\(i)"), .null, .string("sms"),
            ])))
            positional.changes.append(RecordChange(insert: .contacts, id: "K\(i)", record: PositionalRecord(contacts, [
                .date(Day(daysSinceEpoch: Int32(i))), .string("sms"), .string("admin"), i % 2 == 0 ? .null : .string("note \(i)"),
                .string("C\(i)"), .string("K\(i)"),
            ])))
        }
        positional.changes.append(RecordChange(insert: .contacts, id: "K99", record: PositionalRecord(FieldList([]), [])))
        var named = positional
        named.changes = positional.changes.map { c in RecordChange(kind: c.kind, entity: c.entity, id: c.id, after: c.after) }
        XCTAssertNil(named.changes[0].positionalAfter)
        XCTAssertNotNil(positional.changes[0].positionalAfter)
        XCTAssertEqual(named.changes[0].after["zeta"], Self.values[0], "a null in the list is a present field")

        let schemas = { (e: Entity) in Store()[e].schema }
        let bytes = JournalCodec.encode(positional, schemas: schemas)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: JournalCodec.encode(named, schemas: schemas), as: UTF8.self))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: Self.genericLine(named, schemas: schemas), as: UTF8.self))
        // The decoder leaves out the names outside the schema (zeta, alpha).
        var inSchema = named
        for i in inSchema.changes.indices { inSchema.changes[i].after = inSchema.changes[i].after.filter { $0.key != "zeta" && $0.key != "alpha" } }
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), inSchema)
    }

    /// An entry of more changes than `sizingSample` is sized from its first ones: the rest
    /// may be far longer (the estimate falls short) or shorter, and the line stays the
    /// generic one byte for byte, its checksum included, and reads back.
    func testALargeEntrySizedFromItsFirstChangesIsStillTheGenericLine() throws {
        let fields = FieldList([RecordField.id, RecordField.customer, "text"])
        var positional = ChangeSet(at: 1_800_000_000, user: "u", command: "campaign x")
        positional.sequence = 7
        let count = 2 * JournalCodec.sizingSample + 700
        for i in 0..<count {
            // Short texts first, then texts 40 times as long, then short again.
            let long = i >= JournalCodec.sizingSample && i < count - 300
            let text = long ? String(repeating: "会员日双倍积分 \"\(i)\" ", count: 40) : "t\(i)"
            positional.changes.append(RecordChange(insert: .messages, id: "M\(i)", record: PositionalRecord(fields, [
                .string("M\(i)"), .string("C\(i % 97)"), .string(text),
            ])))
        }
        var named = positional
        named.changes = positional.changes.map { c in RecordChange(kind: c.kind, entity: c.entity, id: c.id, after: c.after) }
        let schemas = { (e: Entity) in Store()[e].schema }
        let bytes = JournalCodec.encode(positional, schemas: schemas)
        XCTAssertEqual(bytes, Self.genericLine(named, schemas: schemas))
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), named)
    }

    /// An entry of `changesWorthSplitting` changes or more is written in two halves on two
    /// threads: the line (the checksum over both halves and what follows them included) is
    /// still the generic one and reads back. Inserts, positional updates and named changes
    /// of three entities fall on both sides of the middle, and a policy change follows.
    func testAnEntryWrittenInTwoHalvesIsStillTheGenericLine() throws {
        let messageFields = FieldList([RecordField.id, RecordField.customer, "text"])
        let customerFields = FieldList([CustomerField.lastContact])
        var positional = ChangeSet(at: 1_800_000_000, user: "u", command: "campaign \"x\"")
        positional.sequence = 9
        let count = JournalCodec.changesWorthSplitting + 1_001
        for i in 0..<count {
            switch i % 3 {
            case 0:
                positional.changes.append(RecordChange(insert: .messages, id: "M\(i)", record: PositionalRecord(messageFields, [
                    .string("M\(i)"), .string("C\(i)"), .string(i % 7 == 0 ? "会员日 \"\(i)\"\n" : "t\(i)"),
                ])))
            case 1:
                positional.changes.append(RecordChange(update: .customers, id: "C\(i)", fields: customerFields,
                                                       before: [i % 2 == 0 ? .null : .date(Day(daysSinceEpoch: Int32(i)))],
                                                       after: [.date(Day(daysSinceEpoch: 20_000))]))
            default:
                positional.changes.append(RecordChange(kind: .insert, entity: .contacts, id: "K\(i)",
                                                       after: [RecordField.customer: .string("C\(i)"), "note": .string("n\(i % 5)")]))
            }
        }
        positional.policyChanges = [PolicyChange(key: "campaign.weeklyCap", before: 3, after: 4)]
        var named = positional
        named.changes = positional.changes.map { c in RecordChange(kind: c.kind, entity: c.entity, id: c.id, before: c.before, after: c.after) }
        let schemas = { (e: Entity) in Store()[e].schema }
        let bytes = JournalCodec.encode(positional, schemas: schemas)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: Self.genericLine(named, schemas: schemas), as: UTF8.self))
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), named)
    }

    /// A set whose first changes were written ahead (`JournalPrefix`, from two arrays, as a
    /// campaign's halves) is written as the same line as without them; a prefix written
    /// in other field orders than the schemas' is not used, and the line is still the same.
    func testChangesWrittenAheadMakeTheSameLine() throws {
        let messageFields = FieldList([RecordField.id, RecordField.customer, "text"])
        var set = ChangeSet(at: 1_800_000_000, user: "u", command: "campaign \"x\"")
        set.sequence = 12
        for i in 0..<3_000 {
            set.changes.append(RecordChange(insert: .messages, id: "M\(i)", record: PositionalRecord(messageFields, [
                .string("M\(i)"), .string("C\(i)"), .string(i % 7 == 0 ? "会员日 \"\(i)\"\n" : "t\(i)"),
            ])))
            set.changes.append(RecordChange(kind: .insert, entity: .contacts, id: "K\(i)",
                                            after: [RecordField.customer: .string("C\(i)"), "note": .string("n\(i % 5)")]))
        }
        let written = set.changes.count
        for i in 0..<500 {
            set.changes.append(RecordChange(update: .customers, id: "C\(i)", fields: FieldList([CustomerField.lastContact]),
                                            before: [.null], after: [.date(Day(daysSinceEpoch: 20_000))]))
        }
        let schemas = { (e: Entity) in Store()[e].schema }
        let plain = JournalCodec.encode(set, schemas: schemas)
        let orders = [Entity.messages: schemas(.messages).fields, .contacts: schemas(.contacts).fields]
        for cut in [0, 1, 1_001, written] {
            var ahead = set
            ahead.journalPrefix = JournalPrefix([Array(set.changes[0..<cut]), Array(set.changes[cut..<written])], orders: orders)
            XCTAssertEqual(String(decoding: JournalCodec.encode(ahead, schemas: schemas), as: UTF8.self),
                           String(decoding: plain, as: UTF8.self), "cut at \(cut)")
            // Written as the header, the bytes written ahead, and the rest: the prefix was used.
            let parts = JournalCodec.encodeParts(ahead, schemas: schemas)
            XCTAssertEqual(parts.count, 3, "cut at \(cut)")
            XCTAssertEqual(Array(parts.joined()), plain, "cut at \(cut)")
        }
        // Written in another order of the contacts' fields: the bytes differ, so not used.
        var otherOrder = set
        otherOrder.journalPrefix = JournalPrefix([Array(set.changes[0..<written])],
                                                 orders: [.messages: schemas(.messages).fields, .contacts: schemas(.contacts).fields.reversed()])
        XCTAssertEqual(JournalCodec.encodeParts(otherOrder, schemas: schemas), [plain])
        // A set that no longer begins with the changes written (two swapped, or one put
        // before them) writes its own changes whole, not the text written ahead.
        var swapped = set
        swapped.changes.swapAt(10, 11)
        var insertedBefore = set
        insertedBefore.changes.insert(set.changes[written], at: 0)
        for var moved in [swapped, insertedBefore] {
            let whole = JournalCodec.encodeParts(moved, schemas: schemas)
            moved.journalPrefix = JournalPrefix([Array(set.changes[0..<written])], orders: orders)
            XCTAssertEqual(whole.count, 1)
            XCTAssertEqual(JournalCodec.encodeParts(moved, schemas: schemas), whole)
        }
        XCTAssertEqual(try JournalCodec.decode(plain.dropLast(), store: Store()).changes.count, set.changes.count)
    }

    /// Positional updates (the rollup's, one per customer a campaign contacts) are written
    /// as the same updates as dictionaries, byte for byte, nulls kept on both sides, and
    /// read back as dictionaries.
    func testPositionalUpdatesAreWrittenAsTheirDictionaries() throws {
        let fields = FieldList([CustomerField.tier, CustomerField.lastContact, "zeta", CustomerField.totalSpent])
        var positional = ChangeSet(at: 1_800_000_000, user: "u", command: "campaign x")
        positional.sequence = 5
        for i in 0..<40 {
            positional.changes.append(RecordChange(update: .customers, id: "C\(i)", fields: fields,
                                                   before: [.null, i % 2 == 0 ? .null : .date(Day(daysSinceEpoch: Int32(-i))), Self.values[i % Self.values.count],
                                                            .number(Double(i) / 4)],
                                                   after: [.string("gold"), .date(Day(daysSinceEpoch: Int32(i))), .null, .null]))
        }
        var named = positional
        named.changes = positional.changes.map { c in RecordChange(kind: .update, entity: c.entity, id: c.id, before: c.before, after: c.after) }
        XCTAssertEqual(named.changes[0].before[CustomerField.tier], .null, "a null in the list is a present field")
        let schemas = { (e: Entity) in Store()[e].schema }
        let bytes = JournalCodec.encode(positional, schemas: schemas)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: JournalCodec.encode(named, schemas: schemas), as: UTF8.self))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: Self.genericLine(named, schemas: schemas), as: UTF8.self))
        var inSchema = named
        for i in inSchema.changes.indices {
            inSchema.changes[i].before = inSchema.changes[i].before.filter { $0.key != "zeta" }
            inSchema.changes[i].after = inSchema.changes[i].after.filter { $0.key != "zeta" }
        }
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), inSchema)
    }

    /// The entry as it was written before the direct encoder: a `JSONValue` tree through `JSONWriter`.
    static func genericLine(_ set: ChangeSet, schemas: (Entity) -> EntitySchema) -> [UInt8] {
        func object(_ record: [String: Value], _ order: [Field]) -> JSONValue {
            var members: [(key: String, value: JSONValue)] = []
            for f in order { if let v = record[f.name] { members.append((f.name, RecordCodec.json(v))) } }
            let inSchema = Set(members.map(\.key))
            for (k, v) in record.sorted(by: { $0.key < $1.key }) where !inSchema.contains(k) { members.append((k, RecordCodec.json(v))) }
            return .object(members)
        }
        func number(_ d: Double) -> JSONValue { d == d.rounded() && abs(d) < 1e15 ? .integer(Int64(d)) : .double(d) }
        let changes: [JSONValue] = set.changes.map { c in
            var members: [(key: String, value: JSONValue)] = [("op", .string(c.kind.rawValue)), ("entity", .string(c.entity.rawValue)), ("id", .string(c.id))]
            if !c.before.isEmpty { members.append(("before", object(c.before, schemas(c.entity).fields))) }
            if !c.after.isEmpty { members.append(("after", object(c.after, schemas(c.entity).fields))) }
            return .object(members)
        }
        var members: [(key: String, value: JSONValue)] = [
            ("seq", .integer(set.sequence)), ("version", .integer(FormatMigrations.entryVersion)), ("at", .string(RecordCodec.isoUTC(set.at))),
        ]
        if let pinned = set.pinnedNow { members.append(("pinnedNow", .string(RecordCodec.isoUTC(pinned)))) }
        members += [("user", .string(set.user)), ("role", set.role.map { .string($0.rawValue) } ?? .null), ("command", .string(set.command)),
                    ("fields", .array(set.fieldAdditions.map {
                        .object([("entity", .string($0.entity.rawValue)), ("name", .string($0.field.name)), ("type", .string($0.field.type.rawValue))])
                    })), ("changes", .array(changes))]
        if !set.policyChanges.isEmpty {
            members.append(("policy", .array(set.policyChanges.map { .object([("key", .string($0.key)), ("before", number($0.before)), ("after", number($0.after))]) })))
        }
        if !set.segmentChanges.isEmpty {
            members.append(("segments", .array(set.segmentChanges.map {
                .object([("name", .string($0.name)), ("before", JournalCodec.segment($0.before)), ("after", JournalCodec.segment($0.after))])
            })))
        }
        var bytes = JSONWriter.encode(.object(members))
        let crc = CRC32.checksum(bytes)
        bytes += [9] + Array(JournalCodec.hex(crc).utf8) + [10]
        return bytes
    }
}
