/// A grouped aggregate as a horizontal bar chart: one line per group (its label padded
/// by display width, a bar of `█` with eighths for the fraction, the value), then a scale.
public enum BarChart {
    static let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// `labels` and `values` aligned; `valueTexts` the values as printed; `width` the
    /// terminal's columns. Negative values draw no bar (the scale starts at 0); a null
    /// value draws none and prints as `-`.
    public static func render(labels: [String], values: [Double?], valueTexts: [String], width: Int, colour: Bool) -> String {
        let labelWidth = labels.map(DisplayWidth.of).max() ?? 0
        let textWidth = valueTexts.map(DisplayWidth.of).max() ?? 0
        let top = values.compactMap { $0 }.filter(\.isFinite).max() ?? 0
        // label, two spaces, bar, one space, value: the bar takes what is left (at least 10).
        let barWidth = max(10, width - labelWidth - textWidth - 3)
        let (bar, dim, reset) = colour ? ("\u{1B}[36m", "\u{1B}[2m", "\u{1B}[0m") : ("", "", "")
        var out = ""
        for (i, label) in labels.enumerated() {
            let blocks = top > 0 ? drawBar(max(0, values[i] ?? 0) / top * Double(barWidth)) : ""
            out += DisplayWidth.pad(label, to: labelWidth, alignRight: false) + "  "
            out += bar + blocks + reset
            out += String(repeating: " ", count: barWidth - blocks.count + 1)
            out += DisplayWidth.pad(valueTexts[i], to: textWidth, alignRight: true)
            while out.utf8.last == 0x20 { out.removeLast() }
            out += "\n"
        }
        let maxText = ValueFormatter.number(top)
        let gap = max(1, barWidth - 1 - maxText.count)
        out += dim + String(repeating: " ", count: labelWidth + 2) + "0" + String(repeating: " ", count: gap) + maxText + reset + "\n"
        return out
    }

    /// `cells` columns of bar: whole blocks, then the nearest eighth of the rest.
    static func drawBar(_ cells: Double) -> String {
        guard cells.isFinite, cells > 0 else { return "" }
        let whole = Int(cells)
        let eighth = Int(((cells - Double(whole)) * 8).rounded())
        var s = String(repeating: "█", count: whole)
        if eighth == 8 { s += "█" } else if eighth > 0 { s.append(eighths[eighth - 1]) }
        return s
    }
}
