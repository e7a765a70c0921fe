import Foundation

/// The in-memory engine's derived columns: each computed whole from the store's columns
/// and today, then kept until a table of the store changes or today moves.
extension Table {
    /// The column of a derived field of this table's entity, computed or from the cache.
    /// `timeZone` counts instants of related records as days (a ticket's openedAt); `now`
    /// (the start of today when nil) is read only by fields marked `readsNow`.
    public func derivedColumn(named name: String, today: Day, timeZone: TimeZone = TimeZone(identifier: "UTC")!, now: Int64? = nil) -> Column {
        guard let field = DerivedFields.named(name, of: entity) else { return Column.empty(.integer, count: rowCount) }
        let instant = now ?? Clock(now: 0, timeZone: timeZone).startOfDay(today)
        var stamp = derivedStamp(today: today, timeZone: timeZone)
        if field.readsNow { stamp.now = instant }
        if let cached = derivedCache[field.name], cached.stamp == stamp { return cached.column }
        let column = field.compute(TableDerivedInputs(table: self, store: store, today: today, now: instant, timeZone: timeZone))
        derivedCache[field.name] = (stamp, column)
        return column
    }

    func derivedStamp(today: Day, timeZone: TimeZone) -> DerivedStamp {
        DerivedStamp(today: today, timeZone: timeZone.identifier,
                     versions: store?.tables.values.map(\.version).reduce(0, &+) ?? version,
                     policyVersion: store?.policyVersion ?? 0, rowCount: rowCount)
    }
}

/// When a cached derived column was computed: the sum of the store's table versions
/// (each bumped by every change), today, and the table's row count (a loader appends
/// rows without bumping the version).
struct DerivedStamp: Equatable {
    let today: Day
    let timeZone: String
    let versions: Int
    let policyVersion: Int
    let rowCount: Int
    /// The clock's instant, for a field whose rule reads it; nil for the others.
    var now: Int64?
}

/// The inputs of the derived rules, read from a table and its store.
struct TableDerivedInputs: DerivedInputs {
    let table: Table
    let store: Store?
    let today: Day
    let now: Int64
    let timeZone: TimeZone

    var rowCount: Int { table.rowCount }
    var policy: Policy { store?.policy ?? .defaults }

    func dates(_ field: String) -> [Int32] {
        guard let p = table.schema.position(of: field), case .date(let c) = table.columns[p] else {
            return [Int32](repeating: NullSentinel.date, count: rowCount)
        }
        return c.values.array
    }

    func integers(_ field: String) -> [Int64] {
        guard let p = table.schema.position(of: field), case .integer(let c) = table.columns[p] else {
            return [Int64](repeating: NullSentinel.integer, count: rowCount)
        }
        return c.values.array
    }

    func instants(_ field: String) -> [Int64] {
        guard let p = table.schema.position(of: field), case .instant(let c) = table.columns[p] else {
            return [Int64](repeating: NullSentinel.instant, count: rowCount)
        }
        return c.values.array
    }

    func linkedRows(of related: Entity, by link: String, instant: String, text: String) -> LinkedRows {
        var out = LinkedRows()
        guard let store, related != table.entity else { return out }
        let other = store[related]
        guard let lp = other.schema.position(of: link), case .string(let links) = other.columns[lp] else { return out }
        let rowOfCode = table.ownerRowOfCode(related, links.dictionary)
        var instants: [Int64]?
        if let p = other.schema.position(of: instant), case .instant(let c) = other.columns[p] { instants = c.values.array }
        var texts: StringColumn?
        if let p = other.schema.position(of: text), case .string(let c) = other.columns[p] { texts = c; out.texts = Array(c.dictionary.strings) }
        let live = other.isLive
        let linkCodes = links.codes
        out.rows.reserveCapacity(other.liveCount)
        for r in 0..<live.count where live[r] {
            out.rows.append(rowOfCode[Int(linkCodes[r])])
            out.instants.append(instants?[r] ?? NullSentinel.instant)
            out.codes.append(texts?.codes[r] ?? 0)
        }
        return out
    }

    func strings(_ field: String) -> (codes: [UInt32], strings: [String]) {
        guard let p = table.schema.position(of: field), case .string(let c) = table.columns[p] else {
            return ([UInt32](repeating: 0, count: rowCount), [""])
        }
        return (c.codes.array, Array(c.dictionary.strings))
    }

    func shared<T>(_ key: String, _ make: () -> T) -> T {
        let stamp = table.derivedStamp(today: today, timeZone: timeZone)
        if let cached = table.derivedShared[key], cached.stamp == stamp, let value = cached.value as? T { return value }
        let value = make()
        table.derivedShared[key] = (stamp, value)
        return value
    }

    func relatedRows(of related: Entity, where field: String?, keep: (String?) -> Bool,
                     number: String?, day: String?, flag: String?, flagTest: (String?) -> Bool) -> RelatedRows {
        var out = RelatedRows()
        guard let store, related != table.entity else { return out }
        let other = store[related]
        guard let cp = other.schema.position(of: RecordField.customer), case .string(let owners) = other.columns[cp] else { return out }
        let rowOfCode = table.ownerRowOfCode(related, owners.dictionary)
        func mask(_ name: String?, _ test: (String?) -> Bool) -> (mask: [Bool], codes: [UInt32])? {
            guard let name, let p = other.schema.position(of: name), case .string(let values) = other.columns[p] else { return nil }
            var m = values.dictionary.mask { test($0) }
            m[0] = test(nil)
            return (m, values.codes.array)
        }
        let kept = mask(field, keep)
        if field != nil, kept == nil, !keep(nil) { return out }
        let flagged = mask(flag, flagTest)
        var numbers: [Double]?
        if let number, let p = other.schema.position(of: number) {
            switch other.columns[p] {
            case .number(let c): numbers = c.values.array
            case .integer(let c): numbers = c.values.map { $0 == NullSentinel.integer ? .nan : Double($0) }
            default: break
            }
        }
        var dates: [Int32]?
        var instants: [Int64]?
        if let day, let p = other.schema.position(of: day) {
            switch other.columns[p] {
            case .date(let c): dates = c.values.array
            case .instant(let c): instants = c.values.array
            default: break
            }
        }
        let clock = Clock(now: 0, timeZone: timeZone)
        let live = other.isLive
        let ownerCodes = owners.codes
        for r in 0..<live.count where live[r] {
            if let kept, !kept.mask[Int(kept.codes[r])] { continue }
            out.owners.append(rowOfCode[Int(ownerCodes[r])])
            if number != nil { out.numbers.append(numbers?[r] ?? .nan) }
            if day != nil {
                if let dates { out.days.append(dates[r]) }
                else if let instants, instants[r] != NullSentinel.instant { out.days.append(clock.day(of: instants[r]).daysSinceEpoch) }
                else { out.days.append(NullSentinel.date) }
            }
            if flag != nil { out.flags.append(flagged.map { $0.mask[Int($0.codes[r])] } ?? flagTest(nil)) }
        }
        return out
    }

    func ownerRows(of related: Entity, where field: String?, keep: (String?) -> Bool) -> [Int32] {
        guard let store, related != table.entity else { return [] }
        let other = store[related]
        guard let cp = other.schema.position(of: RecordField.customer), case .string(let owners) = other.columns[cp] else { return [] }
        let rowOfCode = table.ownerRowOfCode(related, owners.dictionary)
        var kept: [Bool]?
        var keptCodes: [UInt32] = []
        if let field {
            if let fp = other.schema.position(of: field), case .string(let values) = other.columns[fp] {
                var mask = values.dictionary.mask { keep($0) }
                mask[0] = keep(nil)
                kept = mask
                keptCodes = values.codes.array
            } else if !keep(nil) {
                return []
            }
        }
        let live = other.isLive
        let ownerCodes = owners.codes
        var out: [Int32] = []
        out.reserveCapacity(other.liveCount)
        for r in 0..<live.count where live[r] {
            if let kept, !kept[Int(keptCodes[r])] { continue }
            out.append(rowOfCode[Int(ownerCodes[r])])
        }
        return out
    }
}

extension Table {
    /// The row in this table of each customer id in a related table's dictionary (-1 for
    /// none), looked up once per distinct id. Kept while this table's rows are the same (ids
    /// never change; its row and live counts change with every insert and delete), and
    /// extended for ids the dictionary gained since.
    func ownerRowOfCode(_ related: Entity, _ ids: StringDictionary) -> [Int32] {
        let rowsKey = [rowCount, liveCount]
        var rowOfCode: [Int32] = [-1]
        if let cached = ownerRowCache[related], cached.rowsKey == rowsKey, cached.rowOfCode.count <= ids.count + 1 {
            rowOfCode = cached.rowOfCode
        }
        let codeCount = ids.count + 1
        rowOfCode.reserveCapacity(codeCount)
        for code in rowOfCode.count..<codeCount {
            let own: UInt32? = ids.withUTF8(UInt32(code)) { idColumn.dictionary.code(utf8: UnsafeRawBufferPointer($0)) }
            rowOfCode.append(own.flatMap { row(ofIDCode: $0) }.map { Int32($0) } ?? -1)
        }
        ownerRowCache[related] = (rowsKey, rowOfCode)
        return rowOfCode
    }
}

extension Column {
    /// The ordering key of a numeric, temporal or boolean value (false 0, true 1); nil for null.
    func key(at row: Int) -> Double? {
        switch self {
        case .integer(let c): let v = c.values[row]; return v == NullSentinel.integer ? nil : Double(v)
        case .number(let c): let v = c.values[row]; return v.isNaN ? nil : v
        case .date(let c): let v = c.values[row]; return v == NullSentinel.date ? nil : Double(v)
        case .instant(let c): let v = c.values[row]; return v == NullSentinel.instant ? nil : Double(v)
        case .boolean(let c): let v = c.values[row]; return v == NullSentinel.boolean ? nil : Double(v)
        default: return nil
        }
    }
}
