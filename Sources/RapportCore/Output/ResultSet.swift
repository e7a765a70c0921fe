import Foundation

/// The columns and rows a query or command produces, ready to render.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    /// One array per row, with one value per column. A find's result holds its row
    /// numbers and the columns it reads instead (`cells`): its rows are built the first
    /// time they are asked for, and a table is rendered without them.
    public var rows: [[Value]] {
        get { cells?.rows ?? storedRows }
        _modify {
            materialise()
            yield &storedRows
        }
        set {
            cells = nil
            storedRows = newValue
        }
    }
    private var storedRows: [[Value]]
    /// A find's cells read in place from the table's columns; nil once rows are set.
    public private(set) var cells: ResultCells?
    /// Columns holding percent points: tables print `12.5%`, other formats the number.
    public var percentColumns: Set<Int> = []
    /// One row per group of a grouped aggregate (`by F`): the chart format draws it as bars.
    public var isGrouped = false
    /// The rows are consecutive periods: tables add a sparkline of each numeric column.
    public var showsTrend = false

    public init(columns: [String], rows: [[Value]] = []) {
        self.columns = columns
        self.storedRows = rows
    }

    /// A result whose rows are read from columns when asked for.
    public init(columns: [String], cells: ResultCells) {
        self.columns = columns
        self.storedRows = []
        self.cells = cells
    }

    /// The number of rows, without building them.
    public var rowCount: Int { cells?.rowNumbers.count ?? storedRows.count }

    private mutating func materialise() {
        guard let cells else { return }
        storedRows = cells.rows
        self.cells = nil
    }

    public static func == (a: ResultSet, b: ResultSet) -> Bool {
        a.columns == b.columns && a.percentColumns == b.percentColumns && a.isGrouped == b.isGrouped
            && a.showsTrend == b.showsTrend && a.rows == b.rows
    }
}

/// A find's answer before it is turned into rows: the table's row numbers in order and,
/// for each shown column, a reader of its value at a row; a string column also as its
/// codes and dictionary bytes, which a table copies without making a `String` a cell.
/// The columns are copy-on-write values taken when the find ran, so later changes to the
/// table do not show through.
public final class ResultCells: @unchecked Sendable {
    public let rowNumbers: [Int32]
    /// Below this many rows a find builds its rows at once (`QueryExecutor.find`).
    static let fewestRowsReadInPlace = 64
    let readers: [(Int) -> Value]
    /// Per column: its codes and strings when it is a stored string column, else nil.
    let strings: [(codes: ColumnStorage<UInt32>, strings: InternedStrings)?]
    private let lock = NSLock()
    private var built: [[Value]]?

    init(rowNumbers: [Int32], readers: [(Int) -> Value], strings: [(codes: ColumnStorage<UInt32>, strings: InternedStrings)?]) {
        self.rowNumbers = rowNumbers
        self.readers = readers
        self.strings = strings
    }

    /// A string column's codes, its dictionary's bytes and each string's end, valid
    /// while the cells are held.
    struct StringPointers {
        let codes: UnsafeBufferPointer<UInt32>
        let bytes: UnsafeBufferPointer<UInt8>
        let ends: UnsafeBufferPointer<UInt32>
    }

    /// Calls `body` with each column's pointers (nil for a column that is not a stored
    /// string column, and for every column when there are no cells).
    static func withStringPointers<R>(_ cells: ResultCells?, _ body: ([StringPointers?]) -> R) -> R {
        guard let cells else { return body([]) }
        func nest(_ c: Int, _ taken: [StringPointers?]) -> R {
            guard c < cells.strings.count else { return body(taken) }
            guard let column = cells.strings[c] else { return nest(c + 1, taken + [nil]) }
            return column.codes.withUnsafeBufferPointer { codes in
                column.strings.bytes.withUnsafeBufferPointer { bytes in
                    column.strings.ends.withUnsafeBufferPointer { ends in
                        nest(c + 1, taken + [StringPointers(codes: codes, bytes: bytes, ends: ends)])
                    }
                }
            }
        }
        return nest(0, [])
    }

    /// The rows as values, built once (a result may be shared between threads).
    var rows: [[Value]] {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let readers = self.readers
        let rows: [[Value]] = readers.count == 1
            ? rowNumbers.map { [readers[0](Int($0))] }
            : rowNumbers.map { r in readers.map { $0(Int(r)) } }
        built = rows
        return rows
    }
}

/// The ways results print: `--format` and `set format`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json, jsonl, chart

    /// Formats for people rather than programs: confirmations go to standard output.
    public var isForReading: Bool { self == .table || self == .chart }
}
