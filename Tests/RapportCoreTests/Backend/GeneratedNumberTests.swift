import XCTest
@testable import RapportCore

/// The highest generated id number (`K0000012` is 12), read from the ids' bytes: only
/// the entity's prefix followed by 1 to 17 ASCII digits counts.
final class GeneratedNumberTests: XCTestCase {
    private func contacts(_ ids: [String]) -> Table {
        let table = Table(entity: .contacts)
        for id in ids {
            var record = [Value](repeating: .null, count: table.schema.fields.count)
            record[Table.idPosition] = .string(id)
            table.append(record)
        }
        return table
    }

    func testOnlyThePrefixAndDigitsCount() {
        let table = contacts(["K0000012", "K0000003", "K99x", "k9000", "KX", "K", "X500", "K１２３", "K-700", "K 800",
                              "K123456789012345678", "K0000009"])
        XCTAssertEqual(table.highestGeneratedNumber, 12)
    }

    func testSeventeenDigitsAreTheLongestNumber() {
        XCTAssertEqual(contacts(["K1", "K99999999999999999"]).highestGeneratedNumber, 99_999_999_999_999_999)
        XCTAssertEqual(contacts(["K1", "K000000000000000002"]).highestGeneratedNumber, 1, "18 digits are not a generated id")
        XCTAssertEqual(contacts([]).highestGeneratedNumber, 0)
    }

    func testAnAppendedIDMovesTheKnownHighest() {
        let table = contacts(["K0000005"])
        XCTAssertEqual(table.highestGeneratedNumber, 5)
        var record = [Value](repeating: .null, count: table.schema.fields.count)
        record[Table.idPosition] = .string("K0000040")
        table.append(record)
        XCTAssertEqual(table.highestGeneratedNumber, 40)
    }

    func testADeletedIDStillCountsSoItsNumberIsNotHandedOutAgain() {
        let table = contacts(["K0000005", "K0000009"])
        table.delete(row: table.row(ofID: "K0000009")!)
        XCTAssertEqual(table.highestGeneratedNumber, 9)
    }

    /// Kept as the loader adopts each row, not scanned afterwards: a store read back from
    /// its snapshot knows every table's highest number, the live and the bin's.
    func testAStoreReadFromItsSnapshotKnowsEachTablesHighestNumber() throws {
        let store = Store()
        for (entity, ids) in [(Entity.contacts, ["K0000007", "K0000031", "K12x"]), (.messages, ["M0000004"]), (.customers, ["C0000002", "VIP"])] {
            for id in ids {
                var record = [Value](repeating: .null, count: store[entity].schema.fields.count)
                record[Table.idPosition] = .string(id)
                store[entity].append(record)
            }
        }
        var binned = [Value](repeating: .null, count: store.bin[.contacts].schema.fields.count)
        binned[Table.idPosition] = .string("K0000090")
        store.bin[.contacts].append(binned)
        let read = try SnapshotCodec.read(SnapshotCodec.encode(store))
        XCTAssertEqual(read[.contacts].highestGeneratedNumber, 31)
        XCTAssertEqual(read[.messages].highestGeneratedNumber, 4)
        XCTAssertEqual(read[.customers].highestGeneratedNumber, 2)
        XCTAssertEqual(read[.purchases].highestGeneratedNumber, 0)
        XCTAssertEqual(read.bin[.contacts].highestGeneratedNumber, 90)
        XCTAssertEqual(InMemoryBackend(store: read).highestGeneratedNumber(.contacts), 90)
    }

    /// A table taken whole from a column image does not know its highest number until first
    /// asked; then it scans its ids' bytes (`highestNumberAmongIDs`) and finds what the
    /// loader would have kept: only the prefix and 1 to 17 digits, deleted rows' too.
    func testATableFromAColumnImageScansItsIDsToTheSameNumber() throws {
        let store = Store()
        for id in ["K0000012", "K0000003", "K99x", "k9000", "KX", "K", "X500", "K１２３", "K-700", "K 800",
                   "K123456789012345678", "K000000000000000002", "K0000009"] {
            var record = [Value](repeating: .null, count: store[.contacts].schema.fields.count)
            record[Table.idPosition] = .string(id)
            store[.contacts].append(record)
        }
        store[.contacts].delete(row: store[.contacts].row(ofID: "K0000012")!)
        for id in ["M0000004", "M99999999999999999"] {
            var record = [Value](repeating: .null, count: store[.messages].schema.fields.count)
            record[Table.idPosition] = .string(id)
            store[.messages].append(record)
        }
        let directory = NSTemporaryDirectory() + "generated-numbers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let snapshot = directory + "/" + Database.snapshotFile
        try Data(SnapshotCodec.encode(store)).write(to: URL(fileURLWithPath: snapshot))
        let identity = try XCTUnwrap(ColumnImage.SnapshotIdentity(snapshotAt: snapshot))
        XCTAssertTrue(ColumnImage.write(store, snapshot: identity, directory: directory))
        let read = try ColumnImage.read(directory: directory, snapshot: identity).get()
        XCTAssertEqual(read[.contacts].highestGeneratedNumber, 12, "the deleted K0000012 counts")
        XCTAssertEqual(read[.messages].highestGeneratedNumber, 99_999_999_999_999_999)
        XCTAssertEqual(read[.customers].highestGeneratedNumber, 0)
    }
}

/// A batch of inserts (`Table.appendInserts`, as an import's) registers its rows as
/// appending them one by one does: the id order checked across the stored rows' last id
/// and the batch's first and within the batch, every id's row, the highest number.
final class BatchRegistrationTests: XCTestCase {
    private func insert(_ ids: [String], into table: Table, sequence: Int64) {
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.sequence = sequence
        let fields = FieldList([RecordField.customer])
        set.changes = ids.map { RecordChange(insert: table.entity, id: $0, record: PositionalRecord(fields, [.string("C1")])) }
        table.appendInserts(of: set, Array(set.changes.indices))
    }

    private func oneByOne(_ ids: [String], into table: Table) {
        for id in ids {
            var record = [Value](repeating: .null, count: table.schema.fields.count)
            record[Table.idPosition] = .string(id)
            record[try! XCTUnwrap(table.schema.position(of: RecordField.customer))] = .string("C1")
            table.append(record)
        }
    }

    func testABatchRegistersItsRowsAsAppendingThemOneByOne() {
        // (stored before, the batch, rows in id order after, highest number after)
        let cases: [([String], [String], Bool, Int)] = [
            ([], ["K0000001", "K0000002", "K0000003"], true, 3),
            (["K0000001"], ["K0000002", "K0000010"], true, 10),
            (["K0000005"], ["K0000004", "K0000006"], false, 6),                 // the batch's first precedes the stored last
            (["K0000001"], ["K0000003", "K0000002", "K0000004"], false, 4),     // out of order within the batch
            ([], ["K1", "K10", "K2"], true, 10),                                // byte order, not number order
            ([], ["K9", "K10"], false, 10),
            (["K0000050"], ["K7", "X1", "K123456789012345678"], false, 50),     // none of the batch's is a generated number above 50
            (["A"], ["B", "K99999999999999999", "k5"], true, 99_999_999_999_999_999),
            ([], ["K0000002"], true, 2),
        ]
        for (stored, batch, inOrder, highest) in cases {
            let batched = Table(entity: .contacts), single = Table(entity: .contacts)
            oneByOne(stored, into: batched)
            oneByOne(stored, into: single)
            insert(batch, into: batched, sequence: 2)
            oneByOne(batch, into: single)
            let label = "\(stored) then \(batch)"
            XCTAssertEqual(batched.rowsInIDOrder, inOrder, label)
            XCTAssertEqual(single.rowsInIDOrder, inOrder, label)
            XCTAssertEqual(batched.highestGeneratedNumber, highest, label)
            XCTAssertEqual(single.highestGeneratedNumber, highest, label)
            XCTAssertEqual(batched.rowCount, stored.count + batch.count, label)
            XCTAssertEqual(batched.liveCount, stored.count + batch.count, label)
            for (row, id) in (stored + batch).enumerated() {
                XCTAssertEqual(batched.row(ofID: id), row, "\(label): \(id)")
                XCTAssertEqual(batched.id(ofRow: row), id, label)
            }
            XCTAssertNil(batched.row(ofID: "K0000999"), label)
            XCTAssertEqual(batched.imageParts.rowOfIDCode, single.imageParts.rowOfIDCode, label)
        }
    }
}
