/// The columns and rows a query or command produces, ready to render.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    /// One array per row, with one value per column.
    public var rows: [[Value]]

    public init(columns: [String], rows: [[Value]] = []) {
        self.columns = columns
        self.rows = rows
    }
}

/// The ways results print: `--format` and `set format`.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, csv, json, jsonl
}
