/// A series drawn as one line of block characters, lowest `▁` to highest `█`.
public enum Sparkline {
    static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One character per value, scaled between the series' least and greatest; a null is a
    /// space. A flat series (or a single point) sits at the middle level: no rise to show.
    public static func draw(_ values: [Double?]) -> String {
        let known = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = known.min(), let high = known.max() else { return String(repeating: " ", count: values.count) }
        return String(values.map { value -> Character in
            guard let value, value.isFinite else { return " " }
            if high == low { return levels[levels.count / 2 - 1] }
            let level = Int(((value - low) / (high - low) * Double(levels.count - 1)).rounded())
            return levels[min(max(level, 0), levels.count - 1)]
        })
    }
}
