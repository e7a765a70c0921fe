import Foundation

/// Prints a result set as a table, CSV, a JSON array or JSON Lines.
public struct ResultRenderer {
    public var format: OutputFormat
    public var formatter: ValueFormatter
    /// Bold headers and a dim row count in tables, for a terminal.
    public var colour = false
    /// The columns a chart may fill (`COLUMNS`, else 80).
    public var width = 80
    /// Asked every thousand rows; true abandons the rendering.
    public var isCancelled: (() -> Bool)?
    /// Told every thousand rows how many are rendered (an export's progress).
    public var progress: ((Int) -> Void)?

    public init(format: OutputFormat, timeZone: TimeZone) {
        self.format = format
        self.formatter = ValueFormatter(timeZone: timeZone)
    }

    /// The whole output for `result`, ending with a newline (JSON Lines of no rows is empty).
    public func render(_ result: ResultSet) -> String {
        renderUnlessCancelled(result) ?? ""
    }

    /// The output for `result`, or nil when `isCancelled` said stop.
    public func renderUnlessCancelled(_ result: ResultSet) -> String? {
        switch format {
        case .table: return table(result)
        case .chart: return chart(result)
        case .csv: return csv(result)
        case .json: return json(result)
        case .jsonl: return jsonl(result)
        }
    }

    /// One record with related rows (`show customer ID`): in JSON and JSON Lines each
    /// related set is an extra key holding an array of objects (`[]` when empty); CSV and
    /// tables show the record alone. A related key equal to a column (in any case) is
    /// left out, so no object has two members of one name.
    public func render(record: ResultSet, related: [(key: String, rows: ResultSet)]) -> String {
        guard format == .json || format == .jsonl, let row = record.rows.first else { return render(record) }
        let columns = Set(record.columns.map { $0.lowercased() })
        var out = ""
        object(record.columns.map(JSONText.quoted), row, into: &out)
        out.removeLast()
        for (key, rows) in related where !columns.contains(key.lowercased()) {
            out += "," + JSONText.quoted(key) + ":["
            let keys = rows.columns.map(JSONText.quoted)
            for (i, r) in rows.rows.enumerated() {
                if i > 0 { out += "," }
                object(keys, r, into: &out)
            }
            out += "]"
        }
        out += "}"
        return format == .json ? "[\n" + out + "\n]\n" : out + "\n"
    }

    // MARK: Table

    private func stop(_ row: Int) -> Bool {
        guard row & 1023 == 1023 else { return false }
        progress?(row + 1)
        return isCancelled?() == true
    }

    private func table(_ result: ResultSet) -> String? {
        let columns = result.columns
        let count = columns.count
        // Each header's text and width once (plain names need no cleaning).
        let header = columns.map { DisplayWidth.plainWidth($0) == nil ? tableCell($0) : $0 }
        let headerWidths = header.map { Int32(DisplayWidth.plainWidth($0) ?? DisplayWidth.of($0)) }
        var widths = headerWidths.map { Int($0) }
        var numeric = [Bool](repeating: false, count: count)
        var textual = [Bool](repeating: false, count: count)
        // Every cell's UTF-8 bytes once, row after row, in one byte arena beside its end
        // and its width: no `String` kept a cell. A result of 100,000 rows is mostly this
        // loop and the one copying the bytes out below.
        let percent = columns.indices.map { result.percentColumns.contains($0) }
        // A find's result is read from its columns in place (`ResultSet.cells`): a string
        // column's bytes straight from its dictionary, other columns a value a cell.
        let source = result.cells
        let rows = source == nil ? result.rows : []
        let n = result.rowCount
        // A cell's bytes are where they lie: a plain string of a column read in place in its
        // dictionary's arena (its start stored as -(start + 1)), any other in `arena`.
        var arena: [UInt8] = []
        var cellStarts: [Int] = []
        var cellEnds: [Int] = []
        var cellWidths: [Int32] = []
        var cellBytes = 0
        cellStarts.reserveCapacity(n * count)
        cellEnds.reserveCapacity(n * count)
        cellWidths.reserveCapacity(n * count)
        // The text of a cell that is not plain, cleaned for a terminal, and its width.
        func appendCleaned(_ text: String) -> Int {
            let cleaned = tableCell(text)
            arena.append(contentsOf: cleaned.utf8)
            return DisplayWidth.of(cleaned)
        }
        // The string columns' codes and bytes as unsafe pointers, taken once for the whole
        // table: copying a column's storage out a cell is a dozen retains and releases.
        let rowNumbers = source?.rowNumbers ?? []
        let readers = source?.readers ?? []
        return ResultCells.withStringPointers(source) { strings -> String? in
            for i in 0..<n {
                if stop(i) { return nil }
                let row = source == nil ? i : Int(rowNumbers[i])
                // Rows read in place (`rows[i][c]`), not copied out of the array one by
                // one (a retain and a release a row).
                let rowCount = source == nil ? rows[i].count : count
                for c in 0..<count {
                    var width: Int
                    if c < strings.count, let column = strings[c] {
                        let code = Int(column.codes[row])
                        if code == 0 {
                            width = 0 // null
                            cellStarts.append(arena.count)
                        } else {
                            textual[c] = true
                            let start = Int(column.ends[code - 1]), end = Int(column.ends[code])
                            let bytes = UnsafeBufferPointer(rebasing: column.bytes[start..<end])
                            // Plain text (ASCII, Latin letters, CJK) holds no control character: nothing to
                            // clean, and its bytes are copied from the dictionary.
                            if let plain = DisplayWidth.tableWidth(utf8: bytes) {
                                width = plain
                                cellStarts.append(-(start + 1))
                                cellEnds.append(end)
                                cellBytes += end - start
                                widths[c] = max(widths[c], width)
                                cellWidths.append(Int32(width))
                                continue
                            }
                            cellStarts.append(arena.count)
                            width = appendCleaned(String(decoding: bytes, as: UTF8.self))
                        }
                    } else {
                        cellStarts.append(arena.count)
                        let value = source == nil ? (c < rowCount ? rows[i][c] : .null) : readers[c](row)
                        switch value {
                        case .integer, .number: numeric[c] = true
                        case .null: break
                        default: textual[c] = true
                        }
                        if percent[c], let number = value.numeric {
                            let text = String(format: "%.1f%%", number)
                            width = DisplayWidth.of(text)
                            arena.append(contentsOf: text.utf8)
                        } else {
                            var text = formatter.text(value, forCSV: false)
                            let plain = text.withUTF8 { bytes -> Int? in
                                guard let plain = DisplayWidth.tableWidth(utf8: bytes) else { return nil }
                                arena.append(contentsOf: bytes)
                                return plain
                            }
                            width = plain ?? appendCleaned(text)
                        }
                    }
                    widths[c] = max(widths[c], width)
                    cellEnds.append(arena.count)
                    cellWidths.append(Int32(width))
                }
            }
            let right = columns.indices.map { numeric[$0] && !textual[$0] }

            var head: [UInt8] = []
            func spaces(_ n: Int) { for _ in 0..<max(n, 0) { head.append(0x20) } }
            // The header line as `DisplayWidth.pad` and a join by two spaces make it, trailing spaces cut.
            do {
                let lineStart = head.count
                for c in 0..<count {
                    if c > 0 { spaces(2) }
                    let missing = widths[c] - Int(headerWidths[c])
                    if right[c] { spaces(missing) }
                    head.append(contentsOf: header[c].utf8)
                    if !right[c] { spaces(missing) }
                }
                while head.count > lineStart, head.last == 0x20 { head.removeLast() }
            }
            let (bold, dim, reset) = colour ? ("\u{1B}[1m", "\u{1B}[2m", "\u{1B}[0m") : ("", "", "")
            head.insert(contentsOf: bold.utf8, at: 0)
            head.append(contentsOf: reset.utf8)
            head.append(0x0A)
            // The rule under each header, as wide as its column, written as bytes (no string a
            // column); dashes leave no trailing space to cut.
            for c in 0..<count {
                if c > 0 { spaces(2) }
                for _ in 0..<widths[c] { head.append(0x2D) }
            }
            while head.last == 0x20 { head.removeLast() }
            head.append(0x0A)
            let footer = Array((dim + (n == 1 ? "(1 row)" : "(\(n) rows)") + reset + "\n").utf8)

            // Each row's line straight into the string's storage: a cell's bytes plus its
            // padding take at most its column's width plus its bytes beyond its cells, so
            // the lines take at most the cells' bytes plus a full-width line a row.
            let lineMost = widths.reduce(0, +) + 2 * max(count - 1, 0) + 1
            let capacity = head.count + arena.count + cellBytes + n * lineMost + footer.count
            var cancelled = false
            var text = String(unsafeUninitializedCapacity: capacity) { out -> Int in
                guard let base = out.baseAddress else { return 0 }
                var at = 0
                func copy(_ from: UnsafePointer<UInt8>?, _ length: Int) {
                    guard length > 0, let from else { return }
                    (base + at).update(from: from, count: length)
                    at += length
                }
                func pad(_ length: Int) {
                    guard length > 0 else { return }
                    (base + at).update(repeating: 0x20, count: length)
                    at += length
                }
                head.withUnsafeBufferPointer { copy($0.baseAddress, $0.count) }
                arena.withUnsafeBufferPointer { bytes in
                    var k = 0
                    for i in 0..<n {
                        if stop(i) { cancelled = true; return }
                        let lineStart = at
                        for c in 0..<count {
                            if c > 0 { pad(2) }
                            let start = cellStarts[k], end = cellEnds[k]
                            let missing = widths[c] - Int(cellWidths[k])
                            k += 1
                            if right[c] { pad(missing) }
                            if start >= 0 {
                                copy(bytes.baseAddress.map { $0 + start }, end - start)
                            } else if let column = strings[c] {
                                let from = -start - 1
                                copy(column.bytes.baseAddress.map { $0 + from }, end - from)
                            }
                            if !right[c] { pad(missing) }
                        }
                        // Trailing spaces cut, as the header's.
                        while at > lineStart, base[at - 1] == 0x20 { at -= 1 }
                        base[at] = 0x0A
                        at += 1
                    }
                }
                footer.withUnsafeBufferPointer { copy($0.baseAddress, $0.count) }
                return at
            }
            if cancelled { return nil }
            if result.showsTrend, n > 1 { text += trends(result) }
            return text
        }
    }

    /// A sparkline of each numeric column over the rows (periods, oldest first).
    private func trends(_ result: ResultSet) -> String {
        var lines: [(String, String)] = []
        for c in result.columns.indices.dropFirst() {
            let values = result.rows.map { c < $0.count ? $0[c].numeric : nil }
            guard values.contains(where: { $0 != nil }) else { continue }
            lines.append((tableCell(result.columns[c]), Sparkline.draw(values)))
        }
        let width = lines.map { DisplayWidth.of($0.0) }.max() ?? 0
        return lines.map { "trend " + DisplayWidth.pad($0.0, to: width, alignRight: false) + "  " + $0.1 + "\n" }.joined()
    }

    // MARK: Chart

    /// A grouped aggregate as bars; anything else as the table prints it.
    private func chart(_ result: ResultSet) -> String? {
        guard result.isGrouped, result.columns.count == 2, !result.rows.isEmpty,
              result.rows.allSatisfy({ $0.count == 2 && ($0[1].isNull || $0[1].numeric != nil) }) else {
            return table(result)
        }
        let labels = result.rows.map { tableCell(formatter.text($0[0], forCSV: false)) }
        let values = result.rows.map { $0[1].numeric }
        let texts = result.rows.map { $0[1].isNull ? "-" : formatter.text($0[1], forCSV: false) }
        let title = tableCell(result.columns[1]) + " by " + tableCell(result.columns[0])
        var out = colour ? "\u{1B}[1m" + title + "\u{1B}[0m\n" : title + "\n"
        out += BarChart.render(labels: labels, values: values, valueTexts: texts, width: width, colour: colour)
        return out
    }

    /// A cell on one line, safe for a terminal.
    private func tableCell(_ s: String) -> String { TerminalText.clean(s) }

    // MARK: CSV

    private func csv(_ result: ResultSet) -> String? {
        var out = CSVWriter.row(result.columns)
        let width = result.columns.count
        for (i, row) in result.rows.enumerated() {
            if stop(i) { return nil }
            out += CSVWriter.row((0..<width).map { $0 < row.count ? formatter.text(row[$0], forCSV: true) : "" })
        }
        return out
    }

    // MARK: JSON

    private func json(_ result: ResultSet) -> String? {
        if result.rows.isEmpty { return "[]\n" }
        let keys = result.columns.map(JSONText.quoted)
        var out = "[\n"
        for (i, row) in result.rows.enumerated() {
            if stop(i) { return nil }
            if i > 0 { out += ",\n" }
            object(keys, row, into: &out)
        }
        out += "\n]\n"
        return out
    }

    private func jsonl(_ result: ResultSet) -> String? {
        let keys = result.columns.map(JSONText.quoted)
        var out = ""
        for (i, row) in result.rows.enumerated() {
            if stop(i) { return nil }
            object(keys, row, into: &out)
            out += "\n"
        }
        return out
    }

    private func object(_ keys: [String], _ row: [Value], into out: inout String) {
        out += "{"
        for (c, key) in keys.enumerated() {
            if c > 0 { out += "," }
            out += key
            out += ":"
            out += jsonValue(c < row.count ? row[c] : .null)
        }
        out += "}"
    }

    /// A value as JSON: dates and instants as strings, an empty list or a non-finite number as null.
    public func jsonValue(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .string(let s): return JSONText.quoted(s)
        case .integer(let i): return String(i)
        case .number(let d): return d.isFinite ? ValueFormatter.number(d) : "null"
        case .date(let d): return "\"\(d)\""
        case .instant(let t): return JSONText.quoted(formatter.instant(t))
        case .list(let items):
            return items.isEmpty ? "null" : "[" + items.map(JSONText.quoted).joined(separator: ",") + "]"
        case .boolean(let b): return b ? "true" : "false"
        }
    }
}

extension Value {
    /// `doubleValue` when finite: what charts, sparklines and percentages can print.
    var numeric: Double? { doubleValue.flatMap { $0.isFinite ? $0 : nil } }
}
