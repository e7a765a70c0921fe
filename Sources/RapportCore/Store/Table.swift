import Foundation

/// All records of one entity, held column by column, with an id map and indexes built
/// on first use and kept in step with every change afterwards.
///
/// Rows are internal positions; a deleted row stays as a dead slot until the table is
/// rebuilt from a snapshot, so positions never move under a running query.
public final class Table {
    public let entity: Entity
    public private(set) var schema: EntitySchema
    public private(set) var columns: [Column]
    public private(set) var isLive: [Bool] = []
    public private(set) var liveCount = 0
    /// The live row of each id, by the id's dictionary code; -1 for none.
    private var rowOfIDCode: [Int32] = [-1]
    private var hashIndexes: [Int: HashIndex] = [:]
    private var orderedIndexes: [Int: OrderedIndex] = [:]
    /// Set to false to make every query scan (for tests that compare plans).
    public var indexesEnabled = true
    /// Bumped by every change; lets caches know they are stale.
    public private(set) var version = 0
    /// True while row order is id order, so results need no sort by id.
    public private(set) var rowsInIDOrder = true
    /// The store holding this table, whose other tables derived fields read.
    weak var store: Store?
    /// Derived columns computed since the last change (see `derivedColumn`).
    var derivedCache: [String: (stamp: DerivedStamp, column: Column)] = [:]
    /// Values several derived rules share (see `DerivedInputs.shared`), under the same stamp.
    var derivedShared: [String: (stamp: DerivedStamp, value: Any)] = [:]
    /// Rows of the customers named in a related table (see `ownerRowOfCode`).
    var ownerRowCache: [Entity: (rowsKey: [Int], rowOfCode: [Int32])] = [:]

    public init(entity: Entity, schema: EntitySchema? = nil) {
        self.entity = entity
        let schema = schema ?? EntitySchema(entity: entity)
        self.schema = schema
        self.columns = schema.fields.map { Column.empty($0.type) }
    }

    public var rowCount: Int { isLive.count }

    public static let idPosition = 0

    public var idColumn: StringColumn {
        guard case .string(let c) = columns[Table.idPosition] else { fatalError("id is a string column") }
        return c
    }

    public func row(ofID id: String) -> Int? {
        idColumn.dictionary.code(of: id).flatMap { row(ofIDCode: $0) }
    }

    /// The live row of the id with this code in the id column's dictionary.
    func row(ofIDCode code: UInt32) -> Int? {
        guard Int(code) < rowOfIDCode.count else { return nil }
        let row = rowOfIDCode[Int(code)]
        return row >= 0 ? Int(row) : nil
    }

    /// The live rows whose ids equal one of `ids`, ignoring case, sorted.
    public func rows(ofIDs ids: [String]) -> [Int32] {
        // One id (a lookup): its rows are already distinct and in order, no set needed.
        if ids.count == 1 {
            var rows: [Int32] = []
            for code in idColumn.dictionary.codes(ignoringCase: ids[0]) where Int(code) < rowOfIDCode.count && rowOfIDCode[Int(code)] >= 0 {
                rows.append(rowOfIDCode[Int(code)])
            }
            if rows.count > 1 { rows.sort() }
            return rows
        }
        var rows = Set<Int32>()
        for id in ids {
            for code in idColumn.dictionary.codes(ignoringCase: id) where Int(code) < rowOfIDCode.count && rowOfIDCode[Int(code)] >= 0 {
                rows.insert(rowOfIDCode[Int(code)])
            }
        }
        return rows.sorted()
    }

    private func setRow(_ row: Int32, forIDCode code: UInt32) {
        while rowOfIDCode.count <= Int(code) { rowOfIDCode.append(-1) }
        rowOfIDCode[Int(code)] = row
    }

    public func id(ofRow row: Int) -> String {
        idColumn.dictionary.string(idColumn.codes[row])
    }

    public func value(row: Int, field: Int) -> Value { columns[field].value(at: row) }

    /// The whole record, aligned with `schema.fields`.
    public func record(row: Int) -> [Value] { columns.map { $0.value(at: row) } }

    /// Every live row, in row order.
    public var liveRows: [Int32] {
        var rows: [Int32] = []
        rows.reserveCapacity(liveCount)
        for (r, live) in isLive.enumerated() where live { rows.append(Int32(r)) }
        return rows
    }

    public func reserveCapacity(_ n: Int) {
        isLive.reserveCapacity(n)
        rowOfIDCode.reserveCapacity(n + 1)
        for c in columns { c.reserve(n) }
    }

    // MARK: Schema

    /// Adds a custom field, null for every existing row; returns its position.
    @discardableResult
    public func addField(_ field: Field) -> Int {
        if let p = schema.position(of: field.name) { return p }
        let p = schema.append(Field(field.name, field.type, isCustom: true))
        columns.append(Column.empty(field.type, count: rowCount))
        version += 1
        return p
    }

    // MARK: Changes (values must already have the field's type; the caller checks)

    /// Appends a record aligned with `schema.fields`; its id must be new.
    @discardableResult
    public func append(_ record: [Value]) -> Int {
        let row = rowCount
        for (i, c) in columns.enumerated() { c.append(i < record.count ? record[i] : .null) }
        isLive.append(true)
        liveCount += 1
        // The id's order and number read from its bytes in the dictionary: no string made per row.
        let ids = idColumn, newCode = ids.codes[row]
        // The audit trail's rows come in the log's order ("9.1" before "10.1"): that order stands for id order.
        if rowsInIDOrder, entity != .audit, row > 0, !ids.dictionary.precedes(ids.codes[row - 1], newCode) { rowsInIDOrder = false }
        setRow(Int32(row), forIDCode: newCode)
        if let known = knownHighestNumber, let n = ids.dictionary.withUTF8(newCode, generatedNumber), n > known { knownHighestNumber = n }
        for (field, index) in hashIndexes { for code in codes(row: row, field: field) { index.insert(row: Int32(row), code: code) } }
        for (field, index) in orderedIndexes { index.insert(row: Int32(row), key: key(row: row, field: field)) }
        version += 1
        return row
    }

    /// Appends the inserts `changes` of `set` (each into this table, positional, its id
    /// new) as `append` would one by one, but column by column: each column's values for
    /// the whole batch in one pass, a large batch's columns shared out between the cores
    /// (a column's array and dictionary are its own), then the rows' id map and indexes.
    /// No `[Value]` record per insert, no switch on the column's kind per cell.
    func appendInserts(of set: ChangeSet, _ changes: [Int]) {
        guard !changes.isEmpty else { return }
        let batch = InsertBatch(set: set, changes: changes, schema: schema)
        let splits = changes.count >= Table.insertsWorthSplitting && ProcessInfo.processInfo.activeProcessorCount > 1
        let work = ParallelColumns(table: self, batch: batch, groups: columnGroups(splits ? 2 : 1))
        DispatchQueue.concurrentPerform(iterations: work.groups.count) { g in
            work.table.fillColumns(work.groups[g], from: work.batch)
        }
        registerInsertedRows(batch.count)
    }

    /// The first half of `appendInserts`: the batch's values appended to the columns at
    /// `positions` only. Columns of one table may be filled on several threads at once
    /// (each column's array and dictionary are its own); `registerInsertedRows` follows
    /// once every column has the batch.
    func fillColumns(_ positions: [Int], from batch: InsertBatch) {
        // A block of rows at a time, each of the group's columns in turn: the block's
        // records stay in cache while every column reads them (a whole column's pass over
        // a million scattered records missed the cache at nearly every cell).
        // Each column's array sized for a batch that at least doubles it once, not grown by
        // doubling block after block (not for a smaller one: sized exactly, every later
        // batch would copy the whole column again).
        for p in positions where batch.count >= columns[p].count { columns[p].reserve(columns[p].count + batch.count) }
        var scratch = InternScratch()
        // A string column whose first block's rows were each a new string (ids, emails,
        // phones) has its dictionary's slot table sized for the whole batch at once, as
        // large as adding every row one by one would make it; rebuilt at each doubling,
        // it placed each string again about twice (perf: `grow`, `place`).
        let dictionaries = positions.map { p -> StringDictionary? in
            if case .string(let c) = columns[p] { return c.dictionary }
            return nil
        }
        let countsBefore = dictionaries.map { $0?.count ?? 0 }
        for block in stride(from: 0, to: batch.count, by: Table.insertBlockRows) {
            let rows = block..<min(block + Table.insertBlockRows, batch.count)
            for p in positions { columns[p].append(batch, position: p, rows: rows, scratch: &scratch) }
            if block == 0, rows.count < batch.count {
                for (k, dictionary) in dictionaries.enumerated() where dictionary.map({ $0.count - countsBefore[k] == rows.count }) == true {
                    dictionary!.reserve(adding: batch.count - rows.count)
                }
            }
        }
    }

    /// The second half of `appendInserts`: the `count` rows every column has gained are
    /// made live, put in the id map and the indexes.
    func registerInsertedRows(_ count: Int) {
        let start = rowCount, end = start + count
        isLive.append(contentsOf: repeatElement(true, count: count))
        liveCount += count
        let ids = idColumn
        // Three passes over the new rows' codes, each through raw buffers: a million ids
        // checked one by one (`precedes`, `withUTF8`, `setRow`) spent two thirds of their
        // time retaining and releasing the dictionary's and the map's storage (perf).
        ids.codes.withUnsafeBufferPointer { codes in
            // The audit trail's rows come in the log's order ("9.1" before "10.1"): that order stands for id order.
            if rowsInIDOrder, entity != .audit {
                let from = max(start - 1, 0)
                rowsInIDOrder = ids.dictionary.ascending(UnsafeBufferPointer(rebasing: codes[from..<end]))
            }
            let highestCode = Int(codes[start..<end].max() ?? 0)
            if rowOfIDCode.count <= highestCode { rowOfIDCode.append(contentsOf: repeatElement(-1, count: highestCode + 1 - rowOfIDCode.count)) }
            rowOfIDCode.withUnsafeMutableBufferPointer { rowOf in
                for row in start..<end { rowOf[Int(codes[row])] = Int32(row) }
            }
            if let known = knownHighestNumber {
                knownHighestNumber = max(known, highestNumber(amongCodes: UnsafeBufferPointer(rebasing: codes[start..<end])))
            }
        }
        for (field, index) in hashIndexes {
            for row in start..<end { for code in codes(row: row, field: field) { index.insert(row: Int32(row), code: code) } }
        }
        for (field, index) in orderedIndexes { index.insert(rows: start..<end) { key(row: $0, field: field) } }
        version += 1
    }

    /// From how many inserts a batch's columns are filled on two cores at once.
    static let insertsWorthSplitting = 4_096

    /// How many rows of a batch each column takes at a time: few enough that the block's
    /// records (about 20 values of 24 bytes each for a customer, each column reading its
    /// own cache line of them) stay in a core's 1 MB cache from the first column to the
    /// last. At 2,048 they did not: two thirds of the batch's own time was one
    /// instruction, the load of each cell's tag.
    static let insertBlockRows = 512

    /// The columns in `count` groups of about equal cost (strings and lists are interned,
    /// the rest copied), costliest first.
    func columnGroups(_ count: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: count), costs = [Int](repeating: 0, count: count)
        for p in columns.indices.sorted(by: { (columns[$0].appendCost, $1) > (columns[$1].appendCost, $0) }) {
            let lightest = costs.indices.min { costs[$0] < costs[$1] }!
            groups[lightest].append(p)
            costs[lightest] += columns[p].appendCost
        }
        return groups
    }

    /// Registers a row whose values a loader has appended to every column directly.
    /// Indexes must not be built yet.
    func adoptAppendedRow(_ row: Int) throws {
        precondition(row == rowCount && hashIndexes.isEmpty && orderedIndexes.isEmpty)
        let newID = id(ofRow: row)
        guard self.row(ofID: newID) == nil else { throw SnapshotError(offset: 0, message: "id \(newID) appears twice in \(entity.rawValue)") }
        isLive.append(true)
        liveCount += 1
        if rowsInIDOrder, row > 0, !id(ofRow: row - 1).utf8.lexicographicallyPrecedes(newID.utf8) { rowsInIDOrder = false }
        setRow(Int32(row), forIDCode: idColumn.codes[row])
        noteGeneratedNumber(of: newID)
    }

    /// The table's rows as a column image holds them (Persistence/ColumnImage.swift).
    var imageParts: (isLive: [Bool], rowOfIDCode: [Int32], rowsInIDOrder: Bool) { (isLive, rowOfIDCode, rowsInIDOrder) }

    /// Takes a column image's rows whole, in place of an empty table's. False (and nothing
    /// taken) when they do not fit the schema: a column's type or length, the id map's length.
    /// `highestGeneratedNumber`: the image's record of it (what a scan of its ids finds);
    /// nil: found by that scan when first asked.
    func adoptImage(columns image: [Column], isLive: [Bool], rowOfIDCode: [Int32], rowsInIDOrder: Bool, highestGeneratedNumber: Int?) -> Bool {
        precondition(rowCount == 0 && hashIndexes.isEmpty && orderedIndexes.isEmpty)
        guard image.count == columns.count, zip(image, columns).allSatisfy({ $0.type == $1.type }),
              image.allSatisfy({ $0.count == isLive.count }), !rowOfIDCode.isEmpty,
              case .string(let ids) = image[Table.idPosition], rowOfIDCode.count <= ids.dictionary.count + 1,
              rowOfIDCode.allSatisfy({ $0 < Int32(clamping: isLive.count) }) else { return false }
        columns = image
        self.isLive = isLive
        liveCount = isLive.reduce(0) { $0 + ($1 ? 1 : 0) }
        self.rowOfIDCode = rowOfIDCode
        self.rowsInIDOrder = rowsInIDOrder
        knownHighestNumber = highestGeneratedNumber
        version += 1
        return true
    }

    /// Registers the rows from `start` on that `AuditTrail.Writer` has appended to every
    /// column directly. Their ids ("SEQ.N") are new by construction, and the log's order
    /// stands for id order, so neither is checked.
    func adoptAuditRows(from start: Int) {
        precondition(entity == .audit && start == rowCount)
        let end = idColumn.codes.count
        guard end > start else { return }
        isLive.append(contentsOf: repeatElement(true, count: end - start))
        liveCount += end - start
        let ids = idColumn.codes
        for row in start..<end {
            setRow(Int32(row), forIDCode: ids[row])
            for (field, index) in hashIndexes { for code in self.codes(row: row, field: field) { index.insert(row: Int32(row), code: code) } }
            for (field, index) in orderedIndexes { index.insert(row: Int32(row), key: key(row: row, field: field)) }
        }
        version += 1
    }

    public func set(row: Int, field: Int, to value: Value) {
        precondition(field != Table.idPosition, "ids do not change")
        let r = Int32(row)
        if let index = hashIndexes[field] { for code in codes(row: row, field: field) { index.remove(row: r, code: code) } }
        if let index = orderedIndexes[field] { index.remove(row: r, key: key(row: row, field: field)) }
        columns[field].set(value, at: row)
        if let index = hashIndexes[field] { for code in codes(row: row, field: field) { index.insert(row: r, code: code) } }
        if let index = orderedIndexes[field] { index.insert(row: r, key: key(row: row, field: field)) }
        version += 1
    }

    public func delete(row: Int) {
        guard isLive[row] else { return }
        let r = Int32(row)
        for (field, index) in hashIndexes { for code in codes(row: row, field: field) { index.remove(row: r, code: code) } }
        for (field, index) in orderedIndexes { index.remove(row: r, key: key(row: row, field: field)) }
        setRow(-1, forIDCode: idColumn.codes[row])
        isLive[row] = false
        liveCount -= 1
        version += 1
    }

    // MARK: Generated ids

    /// The largest N among ids of the form PREFIX + digits (0 if none) ever appended, deleted
    /// rows' included (a number is never handed out twice in a process). Kept up to date on
    /// every append and at load, where the ids pass by anyway, instead of a scan of every id
    /// on the first insert. Audit rows ("SEQ.N") never have the audit prefix, so
    /// `adoptAuditRows` skips it.
    /// A table taken whole from a column image takes it from the image (its writer took it
    /// from here); one taken from a snapshot's view does not know it (nil) until first
    /// asked: then one scan of its ids, deleted rows' included.
    public var highestGeneratedNumber: Int {
        if let known = knownHighestNumber { return known }
        let highest = highestNumberAmongIDs()
        knownHighestNumber = highest
        return highest
    }

    /// The scan: each row's id read as bytes in the id dictionary, the prefix bound once (a
    /// string per row and a retain of the prefix per byte made this 100 ms for the contacts
    /// of 200,000 customers, on a campaign's critical path).
    private func highestNumberAmongIDs() -> Int {
        idColumn.codes.withUnsafeBufferPointer { highestNumber(amongCodes: $0) }
    }

    /// The largest generated number among the ids of `codes` (0 if none), through the
    /// dictionary's raw buffers (one `withUTF8` per id retained and released the arena's
    /// storage every time) and the prefix's, bound once.
    private func highestNumber(amongCodes codes: UnsafeBufferPointer<UInt32>) -> Int {
        idPrefixBytes.withUnsafeBufferPointer { prefix in
            idColumn.dictionary.largestAnswer(amongCodes: codes) { Table.generatedNumber($0, prefix: prefix) ?? 0 }
        }
    }
    private var knownHighestNumber: Int? = 0

    private func noteGeneratedNumber(of id: String) {
        guard let known = knownHighestNumber else { return }
        if let n = generatedNumber(id), n > known { knownHighestNumber = n }
    }

    /// Read from the UTF-8 bytes without making a string.
    private func generatedNumber(_ id: String) -> Int? {
        var id = id
        return id.withUTF8(generatedNumber)
    }

    private func generatedNumber(_ utf8: UnsafeBufferPointer<UInt8>) -> Int? {
        idPrefixBytes.withUnsafeBufferPointer { Table.generatedNumber(utf8, prefix: $0) }
    }

    /// The number of a generated id (`prefix` and 1 to 17 digits), nil for any other id.
    private static func generatedNumber(_ utf8: UnsafeBufferPointer<UInt8>, prefix: UnsafeBufferPointer<UInt8>) -> Int? {
        guard utf8.count > prefix.count, utf8.count - prefix.count <= 17 else { return nil }
        for i in 0..<prefix.count where utf8[i] != prefix[i] { return nil }
        var n = 0
        for i in prefix.count..<utf8.count {
            guard utf8[i] >= 48, utf8[i] <= 57 else { return nil }
            n = n * 10 + Int(utf8[i] - 48)
        }
        return n
    }

    private lazy var idPrefixBytes = Array(entity.idPrefix.utf8)

    // MARK: Indexes

    /// The hash index of a string or list field, built on first use.
    public func hashIndex(field: Int) -> HashIndex? {
        guard indexesEnabled else { return nil }
        if let index = hashIndexes[field] { return index }
        let index: HashIndex
        switch columns[field] {
        case .string(let c):
            index = HashIndex.build(codes: c.codes, codeCount: c.dictionary.strings.count, isLive: isLive)
        case .list(let c):
            index = HashIndex.build(rowCount: rowCount, codeCount: c.lists.items.strings.count, isLive: isLive) {
                c.lists.lists[Int(c.codes[$0])]
            }
        default:
            return nil
        }
        hashIndexes[field] = index
        return index
    }

    /// The ordered index of a numeric or temporal field, built on first use.
    public func orderedIndex(field: Int) -> OrderedIndex? {
        guard indexesEnabled else { return nil }
        if let index = orderedIndexes[field] { return index }
        switch columns[field].type {
        case .integer, .number, .date, .instant: break
        default: return nil
        }
        let index = OrderedIndex.build(rowCount: rowCount, isLive: isLive) { key(row: $0, field: field) }
        orderedIndexes[field] = index
        return index
    }

    private func codes(row: Int, field: Int) -> [UInt32] {
        switch columns[field] {
        case .string(let c): return [c.codes[row]]
        case .list(let c): return c.lists.lists[Int(c.codes[row])]
        default: return []
        }
    }

    /// The ordering key of a numeric, temporal or boolean (false 0, true 1) value; nil for null.
    func key(row: Int, field: Int) -> Double? { columns[field].key(at: row) }
}

/// A batch of positional inserts into one table, read in place from the change set: for
/// each row, its change, its values and where each of the table's fields is in them.
struct InsertBatch: @unchecked Sendable {
    let set: ChangeSet
    let changes: [Int]
    /// The table's field count: the width of one list's row of `slots`.
    let width: Int
    /// Per distinct field list, per table position, the index in the record's values (-1: none).
    let slots: [Int32]
    /// Per row of the batch, the start of its list's row in `slots`.
    let slotRow: [Int32]
    /// Where each row's values are, in `set`'s records (nothing changes a change set's
    /// records while it is applied): cells are read through these, not by copying each
    /// record (which retains its list and values, shared by every row, on both cores at once).
    private let rowValues: [UnsafePointer<Value>?]

    init(set: ChangeSet, changes: [Int], schema: EntitySchema) {
        self.set = set
        self.changes = changes
        width = schema.fields.count
        var slots: [Int32] = [], slotRow: [Int32] = []
        slotRow.reserveCapacity(changes.count)
        var rowOfList: [ObjectIdentifier: Int32] = [:]
        var lastList: ObjectIdentifier?, lastRow: Int32 = 0
        var rowValues: [UnsafePointer<Value>?] = []
        rowValues.reserveCapacity(changes.count)
        for c in changes {
            // Read in place: a copy of the record (or of its values, to hold them) retained
            // its list and values, a million times on one thread before the columns start.
            // The set, held here, keeps every record's values where they are while it is
            // applied: an array's elements stay put while it is neither changed nor freed.
            rowValues.append(set.changes[c].positionalAfter!.values.withUnsafeBufferPointer { $0.baseAddress })
            let key = ObjectIdentifier(set.changes[c].positionalAfter!.fields)
            if key != lastList {
                if let known = rowOfList[key] { lastRow = known } else {
                    lastRow = Int32(slots.count)
                    var row = [Int32](repeating: -1, count: width)
                    // A name given twice: the last one counts, as in `Store.applyChange`.
                    for (i, name) in set.changes[c].positionalAfter!.fields.names.enumerated() {
                        if let p = schema.position(of: name) { row[p] = Int32(i) }
                    }
                    slots += row
                    rowOfList[key] = lastRow
                }
                lastList = key
            }
            slotRow.append(lastRow)
        }
        self.slots = slots
        self.slotRow = slotRow
        self.rowValues = rowValues
    }

    var count: Int { changes.count }

    /// `body` of a row's id (the change's, whatever its record holds at `Table.idPosition`).
    @inline(__always)
    func withID<R>(row: Int, _ body: (String) -> R) -> R { body(set.changes[changes[row]].id) }

    /// Where each row's value of the field at `position` (not the id's) is, nil where the
    /// row's record has no such field, into `cells` (emptied first): read in place by `ValueCells`.
    func cells(at position: Int, rows: Range<Int>, into cells: inout [UnsafePointer<Value>?]) {
        precondition(position != Table.idPosition, "ids come from the changes")
        cells.removeAll(keepingCapacity: true)
        for r in rows {
            let slot = Int(slots[Int(slotRow[r]) + position])
            cells.append(slot < 0 ? nil : rowValues[r]! + slot)
        }
    }

    /// Each row's value of the field at `position` (not the id's), converted in place, into
    /// `out` (one element per row, left as it is where the row's record has no such field).
    @inline(__always)
    func fill<Element>(_ out: UnsafeMutableBufferPointer<Element>, at position: Int, rows: Range<Int>, _ convert: (Value) -> Element) {
        precondition(position != Table.idPosition, "ids come from the changes")
        precondition(out.count == rows.count, "one element per row")
        slots.withUnsafeBufferPointer { slots in
            slotRow.withUnsafeBufferPointer { slotRow in
                rowValues.withUnsafeBufferPointer { rowValues in
                    for r in rows {
                        let slot = Int(slots[Int(slotRow[r]) + position])
                        if slot >= 0 { out[r - rows.lowerBound] = convert(rowValues[r]![slot]) }
                    }
                }
            }
        }
    }
}

/// What the threads filling a batch's columns share: each appends to the columns it takes,
/// and `concurrentPerform` returns after all have.
private final class ParallelColumns: @unchecked Sendable {
    let table: Table
    let batch: InsertBatch
    let groups: [[Int]]
    init(table: Table, batch: InsertBatch, groups: [[Int]]) {
        self.table = table
        self.batch = batch
        self.groups = groups
    }
}
