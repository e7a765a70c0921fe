import Foundation

/// The column image written with the snapshot (docs/storage.md, "The column image"): from
/// the same view the snapshot was encoded from, so the first opening after a `save` or a
/// bulk import reads the image instead of parsing the JSON.
///
/// The image must hold what reading the snapshot would build, not the store as it lived:
/// a living store keeps deleted rows as dead slots and the strings of overwritten values in
/// its dictionaries. So the view is read again as the parser would read its text: live
/// rows only, in order; each column's strings coded in the order they first appear. Done
/// per distinct string, not per cell (a code seen once is remapped from then on), and not
/// at all for a column already so (every row live, codes first seen in order 1, 2, 3, …,
/// none unused: a bulk import into an empty store), whose arrays are taken as they are.
extension SnapshotView {
    /// The store a reading of this view's snapshot would give (before its journal); nil
    /// when the view does not read back as a snapshot would (ids not unique), which only a
    /// damaged store could give: then no image is written and the next opening parses.
    func storeAsRead() -> Store? {
        guard let store = try? SnapshotCodec.readHead(imageHead) else { return nil }
        let stored = Entity.stored
        for (t, view) in tables.enumerated() {
            let entity = stored[t % stored.count]
            let table = t < stored.count ? store[entity] : store.bin[entity]
            guard table.columns.count == view.columns.count else { return nil }
            guard SnapshotView.read(view, into: table) else { return nil }
        }
        return store
    }

    /// Fills the empty `table` with the live rows of `view`, as `SnapshotCodec` reading them
    /// would. False when its ids are not unique.
    private static func read(_ view: TableView, into table: Table) -> Bool {
        let liveCount = view.isLive.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard liveCount > 0 else { return true }
        // Nil: every row is live, and a column can be taken whole.
        let liveRows: [Int32]? = liveCount == view.isLive.count ? nil
            : view.isLive.indices.compactMap { view.isLive[$0] ? Int32($0) : nil }
        let columns = view.columns.indices.map { position -> Column in
            switch view.columns[position] {
            case .string(let codes, let strings, let slots, let folded):
                // Only the id column's folded table goes into the image (`ColumnImage`).
                return .string(readString(codes, strings, slots, position == Table.idPosition ? folded : [], liveRows))
            case .list(let codes, let lists, let items):
                return .list(readList(codes, lists, items, liveRows))
            case .integer(let values): return .integer(TypedColumn(gather(values, liveRows), check: nil))
            case .number(let values): return .number(TypedColumn(readNumbers(gather(values, liveRows)), check: nil))
            case .date(let values): return .date(TypedColumn(gather(values, liveRows), check: nil))
            case .instant(let values): return .instant(TypedColumn(gather(values, liveRows), check: nil))
            case .boolean(let values): return .boolean(TypedColumn(gather(values, liveRows), check: nil))
            }
        }
        // Read in order, the ids (unique) get codes 1, 2, 3, …: row r has code r + 1.
        guard case .string(let ids) = columns[Table.idPosition] else { return false }
        let unique = ids.codes.withUnsafeBufferPointer { codes -> Bool in
            for r in codes.indices where codes[r] != UInt32(r + 1) { return false }
            return true
        }
        guard unique else { return false }
        let rowsInIDOrder = ids.codes.withUnsafeBufferPointer { ids.dictionary.ascending($0) }
        var rowOfIDCode = [Int32](repeating: -1, count: liveCount + 1)
        for r in 0..<liveCount { rowOfIDCode[r + 1] = Int32(r) }
        return table.adoptImage(columns: columns, isLive: [Bool](repeating: true, count: liveCount),
                                rowOfIDCode: rowOfIDCode, rowsInIDOrder: rowsInIDOrder, highestGeneratedNumber: nil)
    }

    private static func gather<T>(_ values: ColumnStorage<T>, _ liveRows: [Int32]?) -> ColumnStorage<T> {
        guard let liveRows else { return values }
        return values.withUnsafeBufferPointer { v in ColumnStorage(liveRows.map { v[Int($0)] }) }
    }

    /// Numbers as their text reads back: -0 is written "0", and every null is the one NaN.
    private static func readNumbers(_ values: ColumnStorage<Double>) -> ColumnStorage<Double> {
        let null = Double.nan.bitPattern
        func differs(_ v: Double) -> Bool { v.isNaN ? v.bitPattern != null : (v == 0 && v.sign == .minus) }
        guard values.withUnsafeBufferPointer({ $0.contains(where: differs) }) else { return values }
        return ColumnStorage(values.map { $0.isNaN ? .nan : ($0 == 0 ? 0 : $0) })
    }

    /// The codes of the live rows, renumbered in the order each string first appears, and
    /// a dictionary holding those strings in that order (interned as the parser interns).
    private static func readString(_ codes: ColumnStorage<UInt32>, _ strings: InternedStrings,
                                   _ slots: ColumnStorage<UInt32>, _ folded: ColumnStorage<UInt64>,
                                   _ liveRows: [Int32]?) -> StringColumn {
        var newCode = [UInt32](repeating: 0, count: strings.count)
        var firstSeen: [UInt32] = []
        var inOrder = true
        var renumbered: [UInt32] = []
        codes.withUnsafeBufferPointer { codes in
            newCode.withUnsafeMutableBufferPointer { newCode in
                func visit(_ c: UInt32) {
                    guard c != 0, newCode[Int(c)] == 0 else { return }
                    firstSeen.append(c)
                    newCode[Int(c)] = UInt32(firstSeen.count)
                    if c != UInt32(firstSeen.count) { inOrder = false }
                }
                if let liveRows { for r in liveRows { visit(codes[Int(r)]) } } else { for c in codes { visit(c) } }
                guard liveRows != nil || !inOrder || firstSeen.count != strings.count - 1 else { return }
                renumbered.reserveCapacity(liveRows?.count ?? codes.count)
                if let liveRows { for r in liveRows { renumbered.append(newCode[Int(codes[Int(r)])]) } } else {
                    for c in codes { renumbered.append(newCode[Int(c)]) }
                }
            }
        }
        // Already as read: the dictionary's own arrays are the parser's (its slot table
        // depends only on the strings in code order). So is a complete folded table of the
        // size a first build gives (built in code order too): kept, not built again (the
        // id column's, from the image this store was opened from, when no id changed).
        var freshFoldedSize = 16
        while freshFoldedSize < strings.count * 4 { freshFoldedSize *= 2 }
        let sameFolded = folded.count == freshFoldedSize ? folded : []
        if liveRows == nil, inOrder, firstSeen.count == strings.count - 1,
           let same = StringDictionary(imageBytes: strings.bytes, ends: strings.ends, slots: slots, folded: sameFolded, checkedLater: false) {
            return StringColumn(codes: codes, dictionary: same)
        }
        let dictionary = StringDictionary()
        for c in firstSeen { strings.withUTF8(c) { _ = dictionary.intern(utf8: UnsafeRawBufferPointer($0)) } }
        return StringColumn(codes: ColumnStorage(renumbered), dictionary: dictionary)
    }

    /// The list codes of the live rows, renumbered as the parser would give them: items
    /// interned in the order they first appear, then the list of their new codes.
    private static func readList(_ codes: [UInt32], _ lists: [[UInt32]], _ items: InternedStrings,
                                 _ liveRows: [Int32]?) -> ListColumn {
        let dictionary = ListDictionary()
        var newList = [UInt32?](repeating: nil, count: lists.count)
        newList[0] = 0
        var newItem = [UInt32](repeating: 0, count: items.count)
        var renumbered: [UInt32] = []
        renumbered.reserveCapacity(liveRows?.count ?? codes.count)
        func visit(_ c: UInt32) {
            if let known = newList[Int(c)] { renumbered.append(known); return }
            let mapped = lists[Int(c)].map { item -> UInt32 in
                if newItem[Int(item)] == 0 {
                    newItem[Int(item)] = items.withUTF8(item) { dictionary.items.intern(utf8: UnsafeRawBufferPointer($0)) }
                }
                return newItem[Int(item)]
            }
            let code = dictionary.intern(codes: mapped)
            newList[Int(c)] = code
            renumbered.append(code)
        }
        if let liveRows { for r in liveRows { visit(codes[Int(r)]) } } else { for c in codes { visit(c) } }
        return ListColumn(codes: renumbered, lists: dictionary)
    }
}

extension ColumnImage {
    /// Writes the image of the snapshot just written from `view` and now durable at
    /// `directory`'s `snapshot.json` (decision: after it, never before, so a crash between
    /// the two leaves an image naming the previous snapshot, which is stale and ignored).
    /// False when it was not written, which is not an error: the next opening parses.
    @discardableResult
    static func write(from view: SnapshotView, directory: String) -> Bool {
        prepare(from: view, directory: directory)?.install(snapshotIn: directory) ?? false
    }

    /// `prepare` started on a thread of its own, to run while the snapshot of the same view
    /// is encoded and written (its fsync is mostly waiting): `wait` gives its result.
    final class Preparing: @unchecked Sendable {
        private let done = DispatchGroup()
        /// Set by the worker before it leaves `done`; read after `done` only.
        private var pending: Pending?

        init(from view: SnapshotView, directory: String, tempSuffix: String = "") {
            DispatchQueue.global().async(group: done) {
                self.pending = ColumnImage.prepare(from: view, directory: directory, tempSuffix: tempSuffix)
            }
        }

        func wait() -> Pending? {
            done.wait()
            return pending
        }
    }

    /// The image of `view` written to a temporary file, to install once the snapshot is in
    /// its place (a background save renames it there later).
    static func prepare(from view: SnapshotView, directory: String, tempSuffix: String = "") -> Pending? {
        guard let store = view.storeAsRead() else { return nil }
        return prepare(store, directory: directory, tempSuffix: tempSuffix)
    }
}

extension ColumnImage.Pending {
    /// Installs the image for the snapshot now in `directory`; false (and dropped) when
    /// that snapshot cannot be identified.
    func install(snapshotIn directory: String) -> Bool {
        guard let identity = ColumnImage.SnapshotIdentity(snapshotAt: directory + "/" + Database.snapshotFile) else {
            discard()
            return false
        }
        return install(snapshot: identity)
    }
}
