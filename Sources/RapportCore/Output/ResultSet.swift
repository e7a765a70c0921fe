/// The columns and rows a query or command produces, ready to render.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    /// One array per row, with one value per column.
    public var rows: [[Value]]
    /// Columns holding percent points: tables print `12.5%`, other formats the number.
    public var percentColumns: Set<Int> = []
    /// One row per group of a grouped aggregate (`by F`): the chart format draws it as bars.
    public var isGrouped = false
    /// The rows are consecutive periods: tables add a sparkline of each numeric column.
    public var showsTrend = false

    public init(columns: [String], rows: [[Value]] = []) {
        self.columns = columns
        self.rows = rows
    }
}

/// The ways results print: `--format` and `set format`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json, jsonl, chart

    /// Formats for people rather than programs: confirmations go to standard output.
    public var isForReading: Bool { self == .table || self == .chart }
}
