/// The in-memory engine's derived columns: each computed whole from the store's columns
/// and today, then kept until a table of the store changes or today moves.
extension Table {
    /// The column of a derived field of this table's entity, computed or from the cache.
    public func derivedColumn(named name: String, today: Day) -> Column {
        guard let field = DerivedFields.named(name, of: entity) else { return Column.empty(.integer, count: rowCount) }
        let stamp = DerivedStamp(today: today, versions: store?.tables.values.map(\.version).reduce(0, &+) ?? version,
                                 policyVersion: store?.policyVersion ?? 0, rowCount: rowCount)
        if let cached = derivedCache[field.name], cached.stamp == stamp { return cached.column }
        let column = field.compute(TableDerivedInputs(table: self, store: store, today: today))
        derivedCache[field.name] = (stamp, column)
        return column
    }
}

/// When a cached derived column was computed: the sum of the store's table versions
/// (each bumped by every change), today, and the table's row count (a loader appends
/// rows without bumping the version).
struct DerivedStamp: Equatable {
    let today: Day
    let versions: Int
    let policyVersion: Int
    let rowCount: Int
}

/// The inputs of the derived rules, read from a table and its store.
struct TableDerivedInputs: DerivedInputs {
    let table: Table
    let store: Store?
    let today: Day

    var rowCount: Int { table.rowCount }
    var policy: Policy { store?.policy ?? .defaults }

    func dates(_ field: String) -> [Int32] {
        guard let p = table.schema.position(of: field), case .date(let c) = table.columns[p] else {
            return [Int32](repeating: NullSentinel.date, count: rowCount)
        }
        return c.values
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
                keptCodes = values.codes
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

    func relatedIntegers(of related: Entity, _ field: String) -> [Int64] {
        guard let store, related != table.entity else { return [] }
        let other = store[related]
        guard let p = other.schema.position(of: field), case .integer(let c) = other.columns[p] else {
            return [Int64](repeating: NullSentinel.integer, count: other.liveCount)
        }
        return Self.liveValues(c.values, other.isLive)
    }

    func relatedDates(of related: Entity, _ field: String) -> [Int32] {
        guard let store, related != table.entity else { return [] }
        let other = store[related]
        guard let p = other.schema.position(of: field), case .date(let c) = other.columns[p] else {
            return [Int32](repeating: NullSentinel.date, count: other.liveCount)
        }
        return Self.liveValues(c.values, other.isLive)
    }

    private static func liveValues<T>(_ values: [T], _ live: [Bool]) -> [T] {
        var out: [T] = []
        out.reserveCapacity(values.count)
        for r in 0..<live.count where live[r] { out.append(values[r]) }
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
        if let cached = ownerRowCache[related], cached.rowsKey == rowsKey, cached.rowOfCode.count <= ids.strings.count {
            rowOfCode = cached.rowOfCode
        }
        let strings = ids.strings
        rowOfCode.reserveCapacity(strings.count)
        for code in rowOfCode.count..<max(strings.count, 1) { rowOfCode.append(row(ofID: strings[code]).map { Int32($0) } ?? -1) }
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
