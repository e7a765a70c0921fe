import CCrypto
import Foundation

/// The file formats of import and export, told by the file's extension.
public enum InterchangeFormat: String, Sendable {
    case jsonl, json, csv

    public init?(path: String) {
        let ext = Path.fileExtension(path).lowercased()
        switch ext {
        case "jsonl", "ndjson": self = .jsonl
        case "json": self = .json
        case "csv": self = .csv
        default: return nil
        }
    }
}

/// One cell of an imported row, before conversion to a field's type. A JSON scalar is a
/// case of its own (a `JSONValue` boxes each one: an allocation per cell).
enum RawCell {
    case jsonString(String)
    case jsonInteger(Int64)
    case jsonDouble(Double)
    case jsonBool(Bool)
    case jsonNull
    /// An array or an object.
    case json(JSONValue)
    /// A CSV cell.
    case text(String)

    init(json value: JSONValue) {
        switch value {
        case .string(let s): self = .jsonString(s)
        case .integer(let i): self = .jsonInteger(i)
        case .double(let d): self = .jsonDouble(d)
        case .bool(let b): self = .jsonBool(b)
        case .null: self = .jsonNull
        case .array, .object: self = .json(value)
        }
    }

    var isNull: Bool {
        switch self {
        case .jsonNull: return true
        case .json(let v):
            if case .array(let a) = v { return a.isEmpty }
            return false
        case .text(let t): return t.isEmpty
        default: return false
        }
    }

    /// The cell as the file wrote it (for messages).
    var shown: String {
        switch self {
        case .text(let t): return t
        case .jsonString(let s): return String(decoding: JSONWriter.encode(.string(s)), as: UTF8.self)
        case .jsonInteger(let i): return String(decoding: JSONWriter.encode(.integer(i)), as: UTF8.self)
        case .jsonDouble(let d): return String(decoding: JSONWriter.encode(.double(d)), as: UTF8.self)
        case .jsonBool(let b): return String(decoding: JSONWriter.encode(.bool(b)), as: UTF8.self)
        case .jsonNull: return "null"
        case .json(let v): return String(decoding: JSONWriter.encode(v), as: UTF8.self)
        }
    }
}

/// Reads JSON Lines, JSON arrays and CSV files into checked inserts, all or nothing:
/// every bad row is reported with its line number (up to `reportedProblems`), and
/// nothing is stored when any row is bad.
public struct Importer {
    public let backend: any Backend
    public let clock: Clock
    /// Asked every thousand rows; true abandons the import before anything changed (Ctrl-C).
    public var isCancelled: () -> Bool = { false }
    /// Told (rows' worth of work done, rows) as the rows are parsed, converted and checked
    /// (three passes, each a third), at the Ctrl-C checks; (1, 1) when reading ends, however.
    /// Nil: nobody is watching.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// `update by`: rows matching a stored customer on this key update it; nil adds every row.
    public var updateBy: ImportKey?
    /// Column names as written in the file (lowercased) → the field they fill.
    public var columnMap: [String: String] = [:]
    /// A field's name (lowercased) → its aliases (lowercased) → the value stored instead.
    public var valueAliases: [String: [String: String]] = [:]

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    struct Cancelled: Error {}

    public struct Result {
        public var fieldAdditions: [FieldAddition] = []
        public var changes: [RecordChange] = []
        /// The line each change came from, for problems found after reading.
        public var lines: [Int] = []
        /// The bad rows; their rows have no change.
        public var problems: [Problem] = []
        /// Rows stored with an email that is not an address or a phone without digits.
        public var formatWarnings: [Problem] = []
        /// Rows sharing a normalised phone or email with another customer or an earlier row.
        public var duplicateWarnings: [Problem] = []
        /// Rows that matched a customer (`update by`) and had its values already.
        public var unchanged = 0
        /// The file's SHA-256 in hex, for the audit trail: worked out on another core while
        /// the rows are resolved, and waited for here.
        public var sha256: String {
            get { digest?.sha256 ?? givenSHA256 }
            set { digest = nil; givenSHA256 = newValue }
        }
        var digest: WorkAside?
        private var givenSHA256 = ""
    }

    public struct Problem: Sendable, Equatable {
        public var line: Int
        public var message: String
        public init(line: Int, message: String) { self.line = line; self.message = message }
    }

    /// How many bad rows an import failure lists before "and N more".
    public static let reportedProblems = 20

    /// The keys of rows as spelled in the file, in the file's order, shared by every row
    /// with the same keys (a CSV file's header; JSON Lines repeating the previous line's
    /// keys): what depends only on the keys is worked out once per list, not per row.
    final class RowKeys {
        let names: [String]
        /// The names' UTF-8 one after another, and where each ends: a JSON line's keys are
        /// compared with these bytes directly (reaching each name's own UTF-8 was a copy and a
        /// retain per cell).
        private let utf8: UnsafeMutablePointer<UInt8>
        private let ends: UnsafeMutablePointer<Int>

        init(_ names: [String]) {
            self.names = names
            let total = names.reduce(0) { $0 + $1.utf8.count }
            utf8 = .allocate(capacity: max(1, total))
            ends = .allocate(capacity: max(1, names.count))
            var end = 0
            for (k, name) in names.enumerated() {
                for byte in name.utf8 { utf8[end] = byte; end += 1 }
                ends[k] = end
            }
        }

        deinit {
            utf8.deallocate()
            ends.deallocate()
        }

        /// Whether name `k`'s UTF-8 is `bytes`.
        @inline(__always)
        func name(_ k: Int, is bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            let start = k == 0 ? 0 : ends[k - 1]
            let count = ends[k] - start
            guard count == bytes.count else { return false }
            // Keys are short: compared here a word, then a byte at a time (a call to
            // `memcmp` per cell cost more than the comparison).
            let name = UnsafeRawPointer(utf8 + start)
            var i = 0
            if count >= 8 {
                let given = UnsafeRawPointer(bytes.baseAddress!)
                while i + 8 <= count {
                    guard name.loadUnaligned(fromByteOffset: i, as: UInt64.self) == given.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
                    i += 8
                }
            }
            while i < count {
                guard utf8[start + i] == bytes[i] else { return false }
                i += 1
            }
            return true
        }
    }

    struct Row {
        var line: Int
        var keys: RowKeys
        /// One cell per key of `keys`.
        var values: [RawCell]
    }

    /// Reads a file; bad rows come back in `problems` (the caller adds any it finds later
    /// and reports them all with `failure`), a file that cannot be read at all throws.
    public func read(file: String, into entity: Entity, span: SourceSpan? = nil) throws -> Result {
        guard let format = InterchangeFormat(path: file) else {
            throw Diagnostic.usage(.unknownFileFormat, file, at: span)
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(file) } catch {
            throw Diagnostic.runtime(.cannotReadFile, file, "\(error)", at: span)
        }
        // The bar is wiped however reading ends.
        defer { progress?(1, 1) }
        do {
            return try readRows(bytes: bytes, format: format, into: entity)
        } catch let missing as MissingColumn {
            throw Diagnostic.runtime(.importMapColumnMissing, missing.column, missing.field, file, at: span)
        } catch let failure as ImportFailure {
            throw Importer.failure(file: file, failure.problems, span: span)
        } catch is Cancelled {
            throw Diagnostic.runtime(.importCancelled)
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        CryptoLibrary.initialise()
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        _ = SHA256(bytes, bytes.count, &digest)
        return SealedFile.hex(digest)
    }

    /// The error of an import with bad rows: each with its line, up to `reportedProblems`.
    public static func failure(file: String, _ problems: [Problem], span: SourceSpan?) -> Diagnostic {
        let sorted = problems.sorted { $0.line < $1.line }
        if sorted.count == 1 {
            return Diagnostic(.runtime, .importFailed, [file, String(sorted[0].line), sorted[0].message], at: span)
        }
        var notes = sorted.prefix(reportedProblems).map { "line \($0.line): \($0.message)" }
        if sorted.count > reportedProblems { notes.append("and \(sorted.count - reportedProblems) more") }
        return Diagnostic(.runtime, .importFailedRows, [file, String(sorted.count)], at: span, notes: notes)
    }

    struct ImportFailure: Error {
        var problems: [Problem]
        var line: Int { problems[0].line }
        var message: String { problems[0].message }
        init(line: Int, message: String) { problems = [Problem(line: line, message: message)] }
        init(_ problems: [Problem]) { self.problems = problems }
    }

    /// Reads everything or throws every bad row.
    func read(bytes: [UInt8], format: InterchangeFormat, into entity: Entity) throws -> Result {
        let result = try readRows(bytes: bytes, format: format, into: entity)
        if !result.problems.isEmpty {
            result.digest?.done.wait()
            throw ImportFailure(result.problems)
        }
        return result
    }

    func readRows(bytes: [UInt8], format: InterchangeFormat, into entity: Entity) throws -> Result {
        // A column map renames keys first; a JSON array is one value read whole.
        if columnMap.isEmpty, format != .json, let converted = try readConverting(bytes, format, entity) {
            return try resolveConverted(converted, rows: [], bytes: bytes, entity, into: Result())
        }
        var rows = try parse(bytes, format)
        if !columnMap.isEmpty { try applyColumnMap(&rows) }
        var schema = backend.schema(of: entity)
        var result = Result()

        // Each distinct key list once, in the order rows first use it. Rows are read in
        // place (a copy of each retained its cells), and a row with the previous row's
        // list, as nearly every row has, is not looked up.
        var keyLists: [RowKeys] = []
        var seenLists = Set<ObjectIdentifier>()
        var previousList: ObjectIdentifier?
        for r in rows.indices {
            let list = ObjectIdentifier(rows[r].keys)
            if list == previousList { continue }
            previousList = list
            if seenLists.insert(list).inserted { keyLists.append(rows[r].keys) }
        }

        // Custom fields: keys the schema lacks, typed from all their values.
        var newKeys: [String] = []
        var seenKeys = Set<String>()
        for keys in keyLists {
            for key in keys.names where schema.position(of: key) == nil && !isOpeningPoints(key, entity)
                && seenKeys.insert(key.lowercased()).inserted {
                newKeys.append(key)
            }
        }
        for key in newKeys {
            func firstLine() -> Int { rows.first { $0.keys.names.contains(key) }?.line ?? 1 }
            if let derived = DerivedFields.named(key, of: entity) {
                throw ImportFailure(line: firstLine(), message: "'\(key)' is a derived field, computed from the records (\(derived.rule)); a custom field may not take its name")
            }
            guard Importer.isValidFieldName(key) else {
                throw ImportFailure(line: firstLine(), message: "'\(key)' is not a usable field name (it must not be empty, hold control characters, or start or end with a space)")
            }
            let lowered = key.lowercased()
            var positionIn: [ObjectIdentifier: Int?] = [:]
            for keys in keyLists { positionIn[ObjectIdentifier(keys)] = keys.names.firstIndex { $0.lowercased() == lowered } }
            var values: [RawCell] = []
            for row in rows {
                if let k = positionIn[ObjectIdentifier(row.keys)]! { values.append(row.values[k]) }
            }
            let field = Field(key, Importer.inferType(values), isCustom: true)
            schema.append(field)
            result.fieldAdditions.append(FieldAddition(entity: entity, field: field))
        }

        // What each key of each list fills, worked out once per list.
        var plans: [ObjectIdentifier: KeyPlan] = [:]
        for keys in keyLists {
            plans[ObjectIdentifier(keys)] = KeyPlan(keys.names.map { key -> KeyPlan.Target in
                if isOpeningPoints(key, entity) { return .openingPoints }
                return schema.field(named: key).map(KeyPlan.Target.field) ?? .ignored
            }, entity: entity)
        }

        // Rows convert independently: one chunk of them per core, joined in file order.
        // Each parsed row's cells are dropped by the thread that converts it, right after.
        // Freed later on another thread, a million arrays of cells met resolve's allocations
        // in glibc's arenas (a third of resolve's samples in `_int_malloc` and
        // `malloc_consolidate`); freed here, peak memory is lower too (measured in
        // docs/performance.md, branch pimport8). Nothing reads a row's cells after its
        // conversion; the chunks' ranges are disjoint.
        let knownPlans = RowConverter.Plans(keyLists.map { ($0, plans[ObjectIdentifier($0)]!) })
        let converted = try rows.withUnsafeMutableBufferPointer { parsed in
            nonisolated(unsafe) let parsed = parsed
            return try Importer.inChunks(parsed.count) { range, checksCancel -> [ConvertedChunk] in
                let converter = RowConverter(importer: self, entity: entity, plans: knownPlans, rows: range.count)
                for index in range {
                    if checksCancel, index & 1023 == 1023 {
                        if isCancelled() { throw Cancelled() }
                        report(pass: 1, index, range, of: parsed.count)
                    }
                    try converter.convert(line: parsed[index].line, keys: parsed[index].keys, cells: &parsed[index].values)
                }
                return [converter.chunk]
            }
        }
        // Handed over, not copied, so that they are freed where resolve lets them go.
        var parsedRows: [Row] = []
        swap(&parsedRows, &rows)
        return try resolveConverted(converted, rows: consume parsedRows, bytes: bytes, entity, into: result)
    }

    /// The rest of reading a file once its rows are converted: the chunks' rows joined (in
    /// place, not copied), resolved into changes, the problems in line order. `rows` are
    /// the parsed rows still held (none when they were converted as they were read).
    private func resolveConverted(_ converted: consuming [ConvertedChunk], rows: consuming [Row], bytes: [UInt8], _ entity: Entity,
                                  into result: consuming Result) throws -> Result {
        var pendingChunks: [[PendingRow]] = []
        for c in converted.indices {
            // Moved out, not copied: the chunk's array is left empty.
            pendingChunks.append(converted[c].pending)
            converted[c].pending = []
            result.problems.append(contentsOf: converted[c].problems)
            result.formatWarnings.append(contentsOf: converted[c].formatWarnings)
        }
        converted = []
        let pending = PendingRows(pendingChunks)
        pendingChunks = []
        // Resolve walks the rows on one core: meanwhile the other frees the parsed rows (their
        // cells already dropped by the convert) and hashes the file for the audit trail, which this
        // thread did before and after it. Nobody waits for it here: the hash is waited for
        // when it is read (`Result.sha256`, after the rollup), so it goes on beside that too.
        let aside = WorkAside(rows: rows, bytes: bytes)
        rows = []
        BackgroundWork.async(group: aside.done) { aside.run() }
        do { try resolve(pending, entity, into: &result) } catch {
            // Nobody will read the hash: not left running behind a failed import.
            aside.done.wait()
            throw error
        }
        // A million converted rows are freed on another core, not on this one.
        ReleasedAside.release(consume pending)
        result.problems.sort { $0.line < $1.line }
        result.digest = aside
        return result
    }

    /// What runs beside resolve and the rollup: the only references left to the parsed
    /// rows, dropped there, and the file's SHA-256, read through `sha256`, which waits.
    final class WorkAside: @unchecked Sendable {
        private var rows: [Row]
        private var bytes: [UInt8]
        private var digest = ""
        let done = DispatchGroup()
        init(rows: [Row], bytes: [UInt8]) { self.rows = rows; self.bytes = bytes }
        func run() {
            rows = []
            digest = Importer.sha256(bytes)
            bytes = []
        }
        var sha256: String {
            done.wait()
            return digest
        }
    }

    /// What each key of a key list fills, and the rules its values meet.
    struct KeyPlan {
        enum Target { case ignored, openingPoints, field(Field) }
        var targets: [Target]
        /// Each field's `RecordRules.Rule`, beside its target (a placeholder for other keys):
        /// worked out once per key list instead of from the field's name in every cell.
        var rules: [RecordRules.Rule]
        /// The keys that fill `id`, `email` and `phone`.
        var idKey: Int?, emailKey: Int?, phoneKey: Int?

        init(_ targets: [Target], entity: Entity) {
            self.targets = targets
            rules = targets.map { target in
                guard case .field(let field) = target else { return RecordRules.Rule(for: Field("", .string, isCustom: true), in: entity) }
                return RecordRules.Rule(for: field, in: entity)
            }
            for (k, target) in targets.enumerated() {
                guard case .field(let field) = target else { continue }
                switch field.name {
                case RecordField.id: idKey = k
                case CustomerField.email: emailKey = k
                case CustomerField.phone: phoneKey = k
                default: break
                }
            }
        }
    }

    /// A key list and which of its cells hold a value (one bit a key, then a word for a given id).
    /// The first two words are held inline: a list of up to 64 keys (nearly every file) makes
    /// no array for the key of each row, and hashes no array.
    struct FieldListKey: Hashable {
        var keys: ObjectIdentifier
        var first: UInt64, second: UInt64
        /// The words after the second; empty for up to 64 keys.
        var rest: [UInt64]

        init(keys: ObjectIdentifier, _ present: [UInt64]) {
            self.keys = keys
            first = present[0]
            second = present.count > 1 ? present[1] : 0
            rest = present.count > 2 ? Array(present[2...]) : []
        }
    }

    /// What converting one chunk of rows came to.
    struct ConvertedChunk {
        var pending: [PendingRow] = []
        var problems: [Problem] = []
        var formatWarnings: [Problem] = []
    }

    /// A file's key list is known to the schema when every key is a field of it or the
    /// opening points (`KeyPlan`); otherwise the file adds custom fields, typed from all
    /// their values, and its rows cannot be converted as they are read.
    struct NeedsTwoPasses: Error {}

    /// Converts parsed rows into pending rows, one after another on one thread (one
    /// converter per chunk or piece): each row's values, empty cells left out, become a
    /// record, its problems and format warnings are kept in `chunk`, and its cells are
    /// dropped right after.
    final class RowConverter {
        /// The plan of each key list, by the list's identity. The lists are held here, so
        /// that a list freed meanwhile cannot lend its identity to another.
        final class Plans {
            fileprivate var byList: [ObjectIdentifier: (list: RowKeys, plan: KeyPlan)] = [:]
            /// Where plans of lists not met before come from (nil: every list is given).
            fileprivate let schema: EntitySchema?
            init(_ plans: [(RowKeys, KeyPlan)]) {
                for (list, plan) in plans { byList[ObjectIdentifier(list)] = (list, plan) }
                schema = nil
            }
            init(schema: EntitySchema) { self.schema = schema }
        }

        let importer: Importer
        let entity: Entity
        let checksContacts: Bool
        private let plans: Plans
        private(set) var chunk = ConvertedChunk()
        /// Rows with the same keys and the same empty cells share the field list of their records.
        private var fieldLists: [FieldListKey: FieldList] = [:]
        private var previousList: (key: FieldListKey, list: FieldList)?
        /// A row's values, empty cells left out, are converted into this scratch and then
        /// moved (not copied) into the record: copying retained each value's text and
        /// clearing the scratch released it again, in every row. Room for the longest key
        /// list's values and an id.
        private var scratch: UnsafeMutablePointer<Value>
        private var scratchCapacity: Int
        private var present: [UInt64] = []
        /// The previous row's plan: nearly every row has the same key list, so the plan is
        /// neither looked up nor retained again.
        private var planKeys: ObjectIdentifier?
        private var plan: KeyPlan
        /// The opening points' rule, worked out once (from the field's name in every row, it
        /// compared that name with each vocabulary's and each checked field's).
        private let pointsRule: RecordRules.Rule

        /// `rows`: the most rows it will convert, room for which is made at once (grown by
        /// doubling, the pending rows of a million-row file were copied and their fresh
        /// pages faulted in twice over).
        init(importer: Importer, entity: Entity, plans: Plans, rows: Int) {
            self.importer = importer
            self.entity = entity
            self.plans = plans
            chunk.pending.reserveCapacity(rows)
            checksContacts = entity == .customers
            plan = KeyPlan([], entity: entity)
            pointsRule = RecordRules.Rule(for: Importer.openingPointsField, in: entity)
            scratchCapacity = (plans.byList.values.map(\.list.names.count).max() ?? 0) + 1
            scratch = UnsafeMutablePointer<Value>.allocate(capacity: scratchCapacity)
        }

        deinit { scratch.deallocate() }

        /// The plan of `keys` (made from the schema when first met, if the plans allow).
        private func plan(of keys: RowKeys) throws -> KeyPlan {
            if let known = plans.byList[ObjectIdentifier(keys)] { return known.plan }
            guard let schema = plans.schema else { preconditionFailure("every key list has its plan") }
            let targets = try keys.names.map { key -> KeyPlan.Target in
                if importer.isOpeningPoints(key, entity) { return .openingPoints }
                guard let position = schema.position(of: key) else { throw NeedsTwoPasses() }
                return .field(schema.fields[position])
            }
            let made = KeyPlan(targets, entity: entity)
            plans.byList[ObjectIdentifier(keys)] = (keys, made)
            if keys.names.count + 1 > scratchCapacity {
                // Only between rows: nothing is in the scratch.
                scratch.deallocate()
                scratchCapacity = keys.names.count + 1
                scratch = UnsafeMutablePointer<Value>.allocate(capacity: scratchCapacity)
            }
            return made
        }

        /// Converts one row; its cells are taken (`cells` is left empty) and dropped here.
        func convert(line: Int, keys rowKeys: RowKeys, cells given: inout [RawCell]) throws {
            let keys = ObjectIdentifier(rowKeys)
            if keys != planKeys {
                plan = try plan(of: rowKeys)
                planKeys = keys
            }
            // The cells are moved out of the row, not copied, and dropped at the end of
            // this call (branch pimport8: freed here, by the thread that converts them).
            var cells: [RawCell] = []
            swap(&cells, &given)
            var rowProblem: String?
            var openingPoints: Int64 = 0
            var scratchCount = 0
            defer { scratch.deinitialize(count: scratchCount) }
            present.removeAll(keepingCapacity: true)
            present.append(contentsOf: repeatElement(0, count: (cells.count + 63) / 64 + 1))
            var hasID = false
            var idSlot = -1
            var emailKey: String?, phoneKey: String?
            for k in cells.indices {
                switch plan.targets[k] {
                case .ignored: continue
                case .openingPoints:
                    do {
                        var cell = RawCell.jsonNull
                        swap(&cell, &cells[k])
                        var ignored: RuleViolation?
                        if case .integer(let n) = try importer.convert(cell, to: Importer.openingPointsField, pointsRule, formatWarning: &ignored) {
                            guard n.magnitude <= Loyalty.maximumEntry else {
                                rowProblem = rowProblem ?? "'\(CustomerField.points)': \(n) is beyond ±\(Loyalty.maximumEntry)"
                                continue
                            }
                            openingPoints = n
                        }
                    } catch let message as ConversionError {
                        rowProblem = rowProblem ?? "'\(CustomerField.points)': \(message.text)"
                    }
                case .field(let field):
                    do {
                        var formatWarning: RuleViolation?
                        // Moved out of the row, not copied: its text becomes the value's
                        // without a retain here and a release when the cells are dropped.
                        var cell = RawCell.jsonNull
                        swap(&cell, &cells[k])
                        let value = try importer.convert(cell, to: field, plan.rules[k], formatWarning: &formatWarning)
                        if !value.isNull {
                            if checksContacts {
                                if k == plan.emailKey { emailKey = Importer.contactKey(value, .email) }
                                if k == plan.phoneKey { phoneKey = Importer.contactKey(value, .phone) }
                            }
                            if k == plan.idKey { hasID = true; idSlot = scratchCount }
                            (scratch + scratchCount).initialize(to: value)
                            scratchCount += 1
                            present[k >> 6] |= 1 << UInt64(k & 63)
                        }
                        if let formatWarning { chunk.formatWarnings.append(Problem(line: line, message: formatWarning.message)) }
                    } catch let message as ConversionError {
                        rowProblem = rowProblem ?? "'\(field.name)': \(message.text)"
                    }
                }
            }
            if let rowProblem {
                chunk.problems.append(Problem(line: line, message: rowProblem))
                return
            }
            // The last word says whether the id is given; without one, the list ends
            // with `id`, filled when the id is generated.
            if hasID { present[present.count - 1] = 1 }
            let listKey = FieldListKey(keys: keys, present)
            let list: FieldList
            if let previousList, previousList.key == listKey {
                list = previousList.list
            } else if let known = fieldLists[listKey] {
                list = known
                previousList = (listKey, known)
            } else {
                var names: [String] = []
                for k in cells.indices where present[k >> 6] & (1 << UInt64(k & 63)) != 0 {
                    if case .field(let field) = plan.targets[k] { names.append(field.name) }
                }
                if !hasID { names.append(RecordField.id) }
                list = FieldList(names)
                fieldLists[listKey] = list
                previousList = (listKey, list)
            }
            if !hasID {
                idSlot = scratchCount
                (scratch + scratchCount).initialize(to: .null)
                scratchCount += 1
            }
            let count = scratchCount
            let scratch = scratch
            let record = [Value](unsafeUninitializedCapacity: count) { values, initialized in
                values.baseAddress!.moveInitialize(from: scratch, count: count)
                initialized = count
            }
            scratchCount = 0
            // Made in the chunk's array and hashed there: a local row appended was copied
            // (its record's list and values and its keys retained) and then released.
            chunk.pending.append(PendingRow(line: line, record: PositionalRecord(list, record), idSlot: idSlot,
                                            idIsGiven: hasID, openingPoints: openingPoints,
                                            emailKey: emailKey, phoneKey: phoneKey))
            chunk.pending[chunk.pending.count - 1].hashKeys()
        }
    }

    /// The opening points of a customer file, read as a whole number.
    static let openingPointsField = Field(CustomerField.points, .integer)

    /// Progress at `index` of pass `pass` (of 3) in the first chunk `range` of `total` rows:
    /// the chunks run at one pace, so the first one's share stands for all of them.
    private func report(pass: Int, _ index: Int, _ range: Range<Int>, of total: Int) {
        guard let progress, !range.isEmpty else { return }
        progress((pass * total + (index - range.lowerBound) * total / range.count) / 3, total)
    }

    /// Fewer rows than this are read on one thread: starting the other costs more than it gains.
    static let rowsWorthSplitting = 4096

    /// Runs `body` over `0..<count` in one contiguous chunk per core (one chunk when the
    /// work is small) and joins the chunks' results in order. `body`'s second argument is
    /// true for the first chunk only, which alone asks `isCancelled` (the chunks are equal,
    /// so it is as often as before). The first chunk that throws, in order, is the error:
    /// each chunk stops at its first failure, so it is the failure earliest in the file.
    static func inChunks<T>(_ count: Int, _ body: (Range<Int>, Bool) throws -> [T]) throws -> [T] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard count >= rowsWorthSplitting, cores > 1 else { return try body(0..<count, true) }
        let chunks = min(cores, 8)
        let size = (count + chunks - 1) / chunks
        return try inParts(chunks) { chunk in try body(min(count, chunk * size)..<min(count, (chunk + 1) * size), chunk == 0) }
    }

    /// Runs `body` for each part `0..<parts` at once, one thread each, and joins the parts'
    /// results in order; the first part that throws, in order, is the error.
    static func inParts<T>(_ parts: Int, _ body: (Int) throws -> [T]) throws -> [T] {
        if parts == 1 { return try body(0) }
        return try withoutActuallyEscaping(body) { body in
            let work = ChunkWork(body, parts)
            work.outcomes.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    slots[part] = Swift.Result { try work.body(part) }
                }
            }
            var parts: [[T]] = []
            for outcome in work.outcomes { parts.append(try outcome!.get()) }
            var joined: [T] = []
            joined.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for part in parts { joined.append(contentsOf: part) }
            return joined
        }
    }

    /// `inParts` for parts that know how many elements they make at most (`bounds`): each
    /// part's elements are written straight into the one array returned, in a region of its
    /// own, then moved down over the gaps. Joining arrays copied every element (a parsed row
    /// retained its key list and its cells, and the part's copy released them again: two
    /// million atomic operations on one thread for a million rows). The first part that
    /// throws, in order, is the error; a part appending past its bound is a bug (trapped).
    static func inPartsInPlace<T>(_ bounds: [Int], _ body: (Int, (T) -> Void) throws -> Void) throws -> [T] {
        var offsets = [0]
        for bound in bounds { offsets.append(offsets[offsets.count - 1] + bound) }
        return try withoutActuallyEscaping(body) { body in try [T](unsafeUninitializedCapacity: offsets[offsets.count - 1]) { out, count in
            count = 0
            guard let base = out.baseAddress else {
                for p in bounds.indices { try body(p) { _ in preconditionFailure("a part appended past its bound") } }
                return
            }
            var filled = [Int](repeating: 0, count: bounds.count)
            var failures = [(any Error)?](repeating: nil, count: bounds.count)
            filled.withUnsafeMutableBufferPointer { filled in
                failures.withUnsafeMutableBufferPointer { failures in
                    nonisolated(unsafe) let filled = filled, failures = failures, base = base
                    let run = { (p: Int) in
                        let region = base + offsets[p]
                        var made = 0
                        do {
                            try body(p) { element in
                                precondition(made < bounds[p], "a part appended past its bound")
                                (region + made).initialize(to: element)
                                made += 1
                            }
                        } catch { failures[p] = error }
                        filled[p] = made
                    }
                    if bounds.count == 1 { run(0) } else {
                        nonisolated(unsafe) let run = run
                        DispatchQueue.concurrentPerform(iterations: bounds.count) { run($0) }
                    }
                }
            }
            // Every part's elements moved down to follow the previous part's (bitwise moves:
            // nothing retained or released); the array then owns exactly `count` of them.
            for p in bounds.indices {
                if count != offsets[p] { (base + count).moveInitialize(from: base + offsets[p], count: filled[p]) }
                count += filled[p]
            }
            if let failure = failures.first(where: { $0 != nil }) { throw failure! }
        } }
    }

    /// Files smaller than this are read as one piece (about `rowsWorthSplitting` short lines).
    static let bytesWorthSplitting = rowsWorthSplitting * 32

    /// `buffer` cut into one piece per core, each but the last ending just after a newline
    /// (one piece for a small file).
    static func piecesAtLineEnds(_ buffer: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard buffer.count >= bytesWorthSplitting, cores > 1, let base = buffer.baseAddress else { return [0..<buffer.count] }
        let parts = min(cores, 8)
        var pieces: [Range<Int>] = []
        var start = 0
        for part in 1..<parts {
            let target = max(start, buffer.count / parts * part)
            guard let newline = memchr(base + target, 10, buffer.count - target) else { break }
            let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            if end > start { pieces.append(start..<end) }
            start = end
        }
        if start < buffer.count || pieces.isEmpty { pieces.append(start..<buffer.count) }
        return pieces
    }

    /// How many newlines `bytes` holds (by `memchr`, as the lines are found).
    static func newlines(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var count = 0
        var at = 0
        while at < bytes.count, let newline = memchr(base + at, 10, bytes.count - at) {
            count += 1
            at = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return count
    }

    /// Where the line starting at `start` ends: its newline, or `end`.
    static func lineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        guard start < end, let base = buffer.baseAddress, let newline = memchr(base + start, 10, end - start) else { return end }
        return base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
    }

    /// The converted rows in file order, chunk after chunk as the parallel pass left them:
    /// joined into one array, every row was copied (and each reference in it retained) and
    /// the chunks' copies then freed, a million of each on one thread.
    struct PendingRows: RandomAccessCollection {
        private let chunks: [[PendingRow]]
        /// Where each chunk starts, then the count of rows.
        private let starts: [Int]

        init(_ chunks: [[PendingRow]]) {
            self.chunks = chunks
            var starts = [0]
            for chunk in chunks { starts.append(starts.last! + chunk.count) }
            self.starts = starts
        }

        var startIndex: Int { 0 }
        var endIndex: Int { starts[starts.count - 1] }

        subscript(index: Int) -> PendingRow {
            _read {
                var c = 0
                while starts[c + 1] <= index { c += 1 }
                yield chunks[c][index - starts[c]]
            }
        }
    }

    /// A row read and checked, before it is known to add a record or update one.
    struct PendingRow {
        var line: Int
        /// The row's values, empty cells left out, with `id` (null until generated when
        /// the file gave none) at `idSlot`.
        var record: PositionalRecord
        var idSlot: Int
        var idIsGiven: Bool
        var openingPoints: Int64
        /// A customer row's email and phone in `ContactKeys`' normal form, worked out once.
        var emailKey: String?
        var phoneKey: String?
        /// The hashes of the given id, `emailKey` and `phoneKey` (0 without one), worked out
        /// here in the parallel pass so that resolve's walk on one thread hashes nothing.
        var idHash: Int = 0, emailHash: Int = 0, phoneHash: Int = 0

        mutating func hashKeys() {
            if let id = givenID { idHash = id.hashValue }
            if let emailKey { emailHash = emailKey.hashValue }
            if let phoneKey { phoneHash = phoneKey.hashValue }
        }

        var givenID: String? {
            guard idIsGiven, case .string(let id) = record.values[idSlot] else { return nil }
            return id
        }

        func contactKey(_ key: ImportKey) -> String? {
            switch key {
            case .email: return emailKey
            case .phone: return phoneKey
            case .id: return nil
            }
        }

        /// The row's value of a field (by its schema name), without building a dictionary.
        func value(_ name: String) -> Value? { record[name] }
    }

    /// Turns the checked rows into inserts and (`update by`) updates, with one question to
    /// the store for the file's ids, one for the matched customers and, for customers,
    /// one for the stored phones and emails the file's rows share.
    ///
    /// The rows are read in place by index (`rows[index].field`): a copy of a row retained
    /// its record's list and values and its keys, a million times per walk. The duplicate
    /// warnings run on another core beside the inserts (`DuplicateWarnings`).
    private func resolve(_ rows: PendingRows, _ entity: Entity, into result: inout Result) throws {
        // An empty table holds none of them: a first import of a million rows asks nothing
        // (and collects no list of its ids).
        var existingIDs: [String: [String: Value]] = [:]
        if backend.count(entity) > 0 {
            var givenIDs: [String] = []
            for index in rows.indices { if let id = rows[index].givenID { givenIDs.append(id) } }
            if !givenIDs.isEmpty { existingIDs = backend.records(entity, ids: givenIDs, fields: []) }
        }
        let contacts = entity == .customers ? storedContactKeys(of: rows) : StoredContactKeys()

        // Which stored record each row updates (nil: it adds one).
        var targets = [String?](repeating: nil, count: rows.count)
        var refused = [Bool](repeating: false, count: rows.count)
        func refuse(_ index: Int, _ message: String) {
            refused[index] = true
            result.problems.append(Problem(line: rows[index].line, message: message))
        }
        // Rows can match stored records only with `update by` or ids the store holds.
        let matches = updateBy != nil || !existingIDs.isEmpty
        if matches {
            try matchStored(rows, entity, existingIDs: existingIDs, contacts: contacts, targets: &targets, refuse: refuse)
        }

        let matched = targets.compactMap { $0 }
        let stored = matched.isEmpty ? [:] : backend.records(entity, ids: matched, fields: nil)
        // Sized for the file at once: growing them by doubling rehashed every key.
        var ids = FirstIndexTable(capacity: rows.count)
        var acceptedIDs: [String] = []
        acceptedIDs.reserveCapacity(rows.count)
        var generator = backend.highestGeneratedNumber(entity)
        var ledgerNumber = backend.highestGeneratedNumber(.points)
        // Worked out once: `clock.today` asks the time zone its offset (ICU, under a lock),
        // and an import of a million customers has as many opening balances.
        let today = clock.today
        let lotExpiry = Loyalty.expiry(earnedOn: today, policy: backend.policy)
        // A change per row and one per opening balance: sized at once, not copied at each doubling.
        var balances = 0
        for index in rows.indices where rows[index].openingPoints != 0 { balances += 1 }
        result.changes.reserveCapacity(rows.count + balances)
        result.lines.reserveCapacity(rows.count + balances)

        // The warnings on another core, for the rows not refused so far; a row whose id
        // turns out to be given twice is refused below, and then they are worked out again
        // without it (rare: the import fails anyway, and only a dry run lists them).
        let warnings = entity == .customers ? DuplicateWarnings(importer: self, rows: rows, contacts: contacts, targets: targets, refused: refused) : nil
        let warned = DispatchGroup()
        if let warnings { DispatchQueue.global().async(group: warned) { warnings.run() } }
        defer { warned.wait() }

        var idGivenTwice = false
        var readUpTo = 0
        for index in rows.indices where !refused[index] {
            if index >= readUpTo {
                readUpTo = min(index + Importer.readAheadRows, rows.count)
                Importer.readAheadSink &+= Importer.readAhead(rows, index..<readUpTo, ids)
            }
            if !matches, index & 1023 == 1023 {
                if isCancelled() { throw Cancelled() }
                report(pass: 2, index, 0..<rows.count, of: rows.count)
            }
            if let target = targets[index] {
                var before: [String: Value] = [:], after: [String: Value] = [:]
                let record = stored[target] ?? [:]
                for (name, value) in zip(rows[index].record.fields.names, rows[index].record.values)
                where name != RecordField.id && CustomerField.keptFromRecords[name] == nil {
                    let old = record[name] ?? .null
                    // The key matched in its normal form: another spelling of it is no change.
                    if let key = updateBy, name == key.rawValue, Importer.contactKey(old, key) == Importer.contactKey(value, key) { continue }
                    if old != value { before[name] = old; after[name] = value }
                }
                if after.isEmpty { result.unchanged += 1; continue }
                result.changes.append(RecordChange(kind: .update, entity: entity, id: target, before: before, after: after))
                result.lines.append(rows[index].line)
                continue
            }
            var record = rows[index].record
            let id: String
            let idHash: Int
            if let given = rows[index].givenID {
                id = given
                idHash = rows[index].idHash
            } else {
                generator += 1
                id = IDGenerator.id(entity, number: generator)
                idHash = id.hashValue
                record.values[rows[index].idSlot] = .string(id)
            }
            guard ids.first(hash: idHash, index: acceptedIDs.count, isSameKey: { acceptedIDs[$0] == id }) == nil else {
                result.problems.append(Problem(line: rows[index].line, message: "id \(id) appears twice in the file"))
                refused[index] = true
                idGivenTwice = true
                continue
            }
            acceptedIDs.append(id)
            result.changes.append(RecordChange(insert: entity, id: id, record: record))
            result.lines.append(rows[index].line)
            let openingPoints = rows[index].openingPoints
            if openingPoints != 0 {
                ledgerNumber += 1
                result.changes.append(openingBalance(openingPoints, customer: id, ledgerID: IDGenerator.id(.points, number: ledgerNumber),
                                                     today: today, expiry: lotExpiry))
                result.lines.append(rows[index].line)
            }
        }
        guard let warnings else { return }
        warned.wait()
        if idGivenTwice {
            let again = DuplicateWarnings(importer: self, rows: rows, contacts: contacts, targets: targets, refused: refused)
            again.run()
            result.duplicateWarnings = again.found
        } else {
            result.duplicateWarnings = warnings.found
        }
    }

    /// Which stored record each row updates (`update by`, or a given id the store holds),
    /// and the rows refused for matching one wrongly.
    private func matchStored(_ rows: PendingRows, _ entity: Entity, existingIDs: [String: [String: Value]], contacts: StoredContactKeys,
                             targets: inout [String?], refuse: (Int, String) -> Void) throws {
        var rowMatching: [String: Int] = [:]
        var rowWithKey: [String: Int] = [:]
        for index in rows.indices {
            if index & 1023 == 1023 {
                if isCancelled() { throw Cancelled() }
                report(pass: 2, index, 0..<rows.count, of: rows.count)
            }
            let givenID = rows[index].givenID
            switch updateBy {
            case .id?:
                if let givenID, existingIDs[givenID] != nil { targets[index] = givenID }
            case .email?, .phone?:
                let key = updateBy!
                guard let normal = rows[index].contactKey(key) else { break }
                let matches = contacts.ids(key, normal)
                if matches.count > 1 {
                    refuse(index, "\(key.rawValue) \(Importer.shown(rows[index].value(key.rawValue)!)) matches \(matches.count) customers (\(matches.prefix(5).joined(separator: ", "))): update them one by one or merge them first")
                    continue
                }
                if let match = matches.first {
                    if let givenID, givenID != match {
                        refuse(index, "the row's id \(givenID) is not the id of customer \(match), whose \(key.rawValue) it matches")
                        continue
                    }
                    targets[index] = match
                } else if let earlier = rowWithKey[normal] {
                    refuse(index, "\(key.rawValue) \(Importer.shown(rows[index].value(key.rawValue)!)) is also on line \(rows[earlier].line): update by \(key.rawValue) takes one row per \(key.rawValue)")
                    continue
                } else {
                    rowWithKey[normal] = index
                }
            case nil:
                break
            }
            if let target = targets[index] {
                if let earlier = rowMatching[target] {
                    refuse(index, "matches customer \(target), as line \(rows[earlier].line) does")
                    targets[index] = nil
                    continue
                }
                rowMatching[target] = index
                if rows[index].openingPoints != 0 {
                    refuse(index, "'\(CustomerField.points)': customer \(target)'s points come from its ledger (add points, redeem); leave the column empty on rows that update")
                }
            } else if let givenID, existingIDs[givenID] != nil {
                refuse(index, "\(entity.singular) \(givenID) already exists")
            }
        }
    }

    /// The duplicate warnings of a customer file, worked out on their own thread: each row
    /// not refused, in file order, its email then its phone (`duplicateWarnings`). Read
    /// `found` after `run` has returned.
    private final class DuplicateWarnings: @unchecked Sendable {
        let importer: Importer
        let rows: PendingRows
        let contacts: StoredContactKeys
        let targets: [String?]
        let refused: [Bool]
        private(set) var found: [Problem] = []
        /// Where the reads ahead are summed (kept by the optimizer; never read): this
        /// thread's own, not `Importer.readAheadSink`, which resolve writes meanwhile.
        private var readAheadSum: UInt64 = 0

        init(importer: Importer, rows: PendingRows, contacts: StoredContactKeys, targets: [String?], refused: [Bool]) {
            self.importer = importer
            self.rows = rows
            self.contacts = contacts
            self.targets = targets
            self.refused = refused
        }

        func run() {
            var seen = FileContactKeys(capacity: rows.count)
            var readUpTo = 0
            for index in rows.indices where !refused[index] {
                if index >= readUpTo {
                    readUpTo = min(index + Importer.readAheadRows, rows.count)
                    readAheadSum &+= seen.readAhead(rows, index..<readUpTo)
                }
                importer.duplicateWarnings(index: index, rows, updating: targets[index], contacts, &seen, into: &found)
            }
        }
    }

    /// Warns when a customer row's phone or email (in `ContactKeys`' normal form) is also
    /// another stored customer's or an earlier row's; not for the key rows are matched by.
    ///
    /// By the keys the convert worked out (`PendingRow.emailKey`, `phoneKey`: a row has one
    /// only when its record holds the value) and their hashes, read in place: reading the
    /// value by name went through the record's field list and values, and a copy of a key
    /// retained it, each cold in memory, for every row of a million. A key is read only to
    /// ask the stored customers' keys (none in a first import) or when an earlier row's
    /// hash matches; the value only for a warning's text.
    private func duplicateWarnings(index: Int, _ rows: PendingRows, updating target: String?,
                                   _ contacts: StoredContactKeys, _ seen: inout FileContactKeys, into warnings: inout [Problem]) {
        if updateBy != .email, rows[index].emailKey != nil {
            duplicateWarning(.email, index: index, rows, updating: target, contacts, &seen, into: &warnings)
        }
        if updateBy != .phone, rows[index].phoneKey != nil {
            duplicateWarning(.phone, index: index, rows, updating: target, contacts, &seen, into: &warnings)
        }
    }

    private func duplicateWarning(_ key: ImportKey, index: Int, _ rows: PendingRows, updating target: String?,
                                  _ contacts: StoredContactKeys, _ seen: inout FileContactKeys, into warnings: inout [Problem]) {
        let stored = contacts.holdsNone(key) ? [] : contacts.ids(key, rows[index].contactKey(key)!)
        if let other = stored.first(where: { $0 != target }) {
            warnings.append(Problem(line: rows[index].line, message: "\(key.rawValue) \(Importer.shown(rows[index].value(key.rawValue) ?? .null)) is also customer \(other)'s"))
        } else if let earlier = seen.first(key, of: index, rows) {
            warnings.append(Problem(line: rows[index].line, message: "\(key.rawValue) \(Importer.shown(rows[index].value(key.rawValue) ?? .null)) is also on line \(rows[earlier].line)"))
        }
    }

    /// The stored customers whose normalised phone or email some row of the file has too:
    /// one read of every customer's phone and email. When the file has more rows than the
    /// store has customers, every stored key is kept (no set of the file's keys to build:
    /// a first import of a million rows reads nothing); otherwise only the file's.
    private func storedContactKeys(of rows: PendingRows) -> StoredContactKeys {
        var wanted = StoredContactKeys()
        let storedCount = backend.count(.customers)
        guard storedCount > 0 else { return wanted }
        let keepsAll = storedCount <= rows.count
        if !keepsAll {
            for row in rows {
                if let normal = row.emailKey { wanted.byEmail[normal] = [] }
                if let normal = row.phoneKey { wanted.byPhone[normal] = [] }
            }
            guard !wanted.byEmail.isEmpty || !wanted.byPhone.isEmpty else { return wanted }
        }
        let all = FindQuery(entity: EntityName(entity: .customers, span: SourceSpan(start: .init(line: 1, column: 1), length: 1)))
        guard let checked = try? Checker(schema: backend.schema(of: .customers), clock: clock).check(all) else { return wanted }
        for (id, record) in backend.records(matching: checked, fields: [CustomerField.email, CustomerField.phone], clock: clock) {
            if let normal = Importer.contactKey(record[CustomerField.email], .email), keepsAll || wanted.byEmail[normal] != nil {
                wanted.byEmail[normal, default: []].append(id)
            }
            if let normal = Importer.contactKey(record[CustomerField.phone], .phone), keepsAll || wanted.byPhone[normal] != nil {
                wanted.byPhone[normal, default: []].append(id)
            }
        }
        return wanted
    }

    /// A stored or imported phone or email in `ContactKeys`' normal form (`update by id`: none).
    static func contactKey(_ value: Value?, _ key: ImportKey) -> String? {
        guard case .string(let text)? = value else { return nil }
        switch key {
        case .email: return ContactKeys.email(text)
        case .phone: return ContactKeys.phone(text)
        case .id: return nil
        }
    }

    static func shown(_ value: Value) -> String {
        if case .string(let text) = value { return "'\(text)'" }
        return "\(value)"
    }

    struct StoredContactKeys {
        /// A normalised email or phone ("wang@example.com", "8613800138000") → the customers holding it.
        var byEmail: [String: [String]] = [:]
        var byPhone: [String: [String]] = [:]
        /// An empty store's (a first import's) lists are not asked: a look-up hashes the key
        /// even in an empty dictionary.
        func ids(_ key: ImportKey, _ normal: String) -> [String] {
            switch key {
            case .email: return byEmail.isEmpty ? [] : byEmail[normal] ?? []
            case .phone: return byPhone.isEmpty ? [] : byPhone[normal] ?? []
            case .id: return []
            }
        }
        /// True when no stored customer has a key of this kind (a first import).
        func holdsNone(_ key: ImportKey) -> Bool {
            switch key {
            case .email: return byEmail.isEmpty
            case .phone: return byPhone.isEmpty
            case .id: return true
            }
        }
    }

    /// The first row holding each normalised phone and email, as the rows are walked, by
    /// the hashes the conversion pass worked out (`PendingRow.hashKeys`): a dictionary of
    /// `String` keys hashed and retained each key again on one thread.
    struct FileContactKeys {
        var firstWithEmail: FirstIndexTable
        var firstWithPhone: FirstIndexTable
        init(capacity: Int) {
            firstWithEmail = FirstIndexTable(capacity: capacity)
            firstWithPhone = FirstIndexTable(capacity: capacity)
        }
        /// The slots `first` will look in first for the rows of `block`, read together so
        /// that their cache misses overlap (two tables of 16 MB for a million rows; as in
        /// `Importer.readAhead`).
        func readAhead(_ rows: PendingRows, _ block: Range<Int>) -> UInt64 {
            var read: UInt64 = 0
            for index in block {
                if rows[index].emailKey != nil { read &+= firstWithEmail.firstSlot(hash: rows[index].emailHash) }
                if rows[index].phoneKey != nil { read &+= firstWithPhone.firstSlot(hash: rows[index].phoneHash) }
            }
            return read
        }

        /// The earlier row with row `index`'s key, or nil (and this row is now its first).
        /// The keys are compared only when their hashes meet.
        mutating func first(_ key: ImportKey, of index: Int, _ rows: PendingRows) -> Int? {
            switch key {
            case .email: return firstWithEmail.first(hash: rows[index].emailHash, index: index) { rows[$0].emailKey == rows[index].emailKey }
            case .phone: return firstWithPhone.first(hash: rows[index].phoneHash, index: index) { rows[$0].phoneKey == rows[index].phoneKey }
            case .id: return nil
            }
        }
    }

    /// Renames the file's columns by `columnMap`; a mapped column the file lacks is an error.
    private func applyColumnMap(_ rows: inout [Row]) throws {
        var present = Set<String>()
        // Each distinct key list renamed once: rows sharing keys share the renamed list.
        // The lists renamed are kept alive here, so that no new list takes one's identity.
        var renamedLists: [ObjectIdentifier: (list: RowKeys, renamed: RowKeys)] = [:]
        for r in rows.indices {
            if let known = renamedLists[ObjectIdentifier(rows[r].keys)] { rows[r].keys = known.renamed; continue }
            var keys = Set<String>()
            var names: [String] = []
            for key in rows[r].keys.names {
                let lowered = key.lowercased()
                let target = columnMap[lowered] ?? key
                if columnMap[lowered] != nil { present.insert(lowered) }
                guard keys.insert(target.lowercased()).inserted else {
                    throw ImportFailure(line: rows[r].line, message: "two columns fill '\(target)' once mapped")
                }
                names.append(target)
            }
            let renamed = RowKeys(names)
            renamedLists[ObjectIdentifier(rows[r].keys)] = (rows[r].keys, renamed)
            rows[r].keys = renamed
        }
        if let missing = columnMap.keys.sorted().first(where: { !present.contains($0) }), !rows.isEmpty {
            throw MissingColumn(column: missing, field: columnMap[missing]!)
        }
    }

    struct MissingColumn: Error { var column: String; var field: String }

    /// A customer's `points` column: the balance from another system, which becomes an
    /// opening-balance entry on the ledger (the customer's points are derived from it).
    func isOpeningPoints(_ key: String, _ entity: Entity) -> Bool {
        entity == .customers && key.lowercased() == CustomerField.points.lowercased()
    }

    /// Resolve's walk reads each row's record (its id, then a retain of its values) and the
    /// given id's slot in the id table: every record's values are an array of their own and
    /// the slots 16 MB for a million ids, so each was a cache miss, one after the other (on
    /// two loads, 0.3 s of the one core resolve runs on). Read first for a block of rows in
    /// a loop that does nothing else, the misses are in flight together and the walk then
    /// finds them cached. Reads only: what the walk does is unchanged.
    static func readAhead(_ rows: PendingRows, _ block: Range<Int>, _ ids: FirstIndexTable) -> UInt64 {
        var read: UInt64 = 0
        for index in block {
            read &+= UInt64(truncatingIfNeeded: rows[index].record.values.count)
            if rows[index].idIsGiven { read &+= ids.firstSlot(hash: rows[index].idHash) }
        }
        return read
    }

    /// Rows read ahead at a time: their records' and slots' lines (2 × 16 KB) stay cached
    /// until the walk reaches them.
    static let readAheadRows = 256
    /// Where resolve's reads ahead are summed, so that the optimizer keeps them (loads whose
    /// values are otherwise unused). Never read; written only by resolve's thread.
    nonisolated(unsafe) static var readAheadSink: UInt64 = 0

    /// The ledger entry of an imported balance: dated the import day; a positive balance
    /// is a lot that expires the policy's period later, like points earned that day.
    /// Positional: a file of a million customers with balances makes a million of them.
    private func openingBalance(_ points: Int64, customer: String, ledgerID: String, today: Day, expiry: Day) -> RecordChange {
        // Sized at once: appending the lot's expiry grew the array (a second allocation).
        var values: [Value] = []
        values.reserveCapacity(points > 0 ? 6 : 5)
        values.append(.string(ledgerID))
        values.append(.string(customer))
        values.append(.date(today))
        values.append(.integer(points))
        values.append(Importer.openingBalanceReason)
        if points > 0 { values.append(.date(expiry)) }
        let fields = points > 0 ? Importer.lotFields : Importer.openingBalanceFields
        return RecordChange(insert: .points, id: ledgerID, record: PositionalRecord(fields, values))
    }

    private static let openingBalanceReason = Value.string("opening balance (import)")
    private static let openingBalanceFields = FieldList([RecordField.id, RecordField.customer, RecordField.date,
                                                         PointsField.change, PointsField.reason])
    private static let lotFields = FieldList(openingBalanceFields.names + [PointsField.expiresAt])

    /// Any name as written (`First Name`, `電話`, `e-mail`; queries quote it in backticks),
    /// but not empty, not padded with spaces and without control characters.
    static func isValidFieldName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, let last = key.unicodeScalars.last,
              !first.properties.isWhitespace, !last.properties.isWhitespace else { return false }
        return !key.unicodeScalars.contains(where: TerminalText.isControl)
    }

    // MARK: Parsing

    private func parse(_ bytes: [UInt8], _ format: InterchangeFormat) throws -> [Row] {
        // Windows tools start UTF-8 files with a byte-order mark; it is not data.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try parse(Array(bytes.dropFirst(3)), format) }
        switch format {
        case .csv:
            return try bytes.withUnsafeBufferPointer { buffer in
                do { return try rowsInPieces(buffer, .csv) } catch is Cancelled { throw Cancelled() } catch {
                    // Any error, or a piece that started inside a quoted field: read again
                    // on one thread, the file checked first, which finds the first error.
                    return try csvRows(bytes)
                }
            }
        case .jsonl:
            // Each line is an object of its own.
            return try bytes.withUnsafeBufferPointer { try rowsInPieces($0, .jsonl) }
        case .json:
            let value: JSONValue
            do { value = try JSONScanner.withScanner(bytes) { s -> JSONValue in
                let v = try s.readValue()
                guard s.isAtEnd else { throw ImportFailure(line: 1, message: "unexpected text after the JSON array") }
                return v
            } } catch let e as JSONSyntaxError {
                throw ImportFailure(line: e.line, message: "invalid JSON: \(e.message)")
            }
            guard case .array(let items) = value else { throw ImportFailure(line: 1, message: "expected a JSON array of objects") }
            // Line numbers of array elements: count the lines before each object's start.
            let starts = Importer.topLevelElementLines(bytes)
            var keysChecked: RowKeys?
            return try items.enumerated().map { i, item in
                let line = i < starts.count ? starts[i] : 1
                guard case .object(let members) = item else { throw ImportFailure(line: line, message: "expected an object") }
                return try row(members, line: line, keysChecked: &keysChecked)
            }
        }
    }

    /// A CSV file's rows, its header the keys: the whole file checked as UTF-8, then read on
    /// one thread. The first error found, as a user sees it: the file's encoding, then its
    /// first malformed record, then the first record of the wrong width.
    private func csvRows(_ bytes: [UInt8]) throws -> [Row] {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ImportFailure(line: Importer.lineOfInvalidUTF8(bytes, countingLoneCR: true), message: "the file is not valid UTF-8")
        }
        let records: [(line: Int, fields: [String])]
        do { records = try CSVReader.parseInPieces(bytes) } catch let e as CSVError {
            throw ImportFailure(line: e.line, message: e.message)
        }
        guard let header = records.first else { return [] }
        let keys = try Importer.csvKeys(header.fields, line: header.line)
        return try records.dropFirst().map { record in
            guard record.fields.count == keys.names.count else {
                throw ImportFailure(line: record.line, message: "expected \(keys.names.count) fields, found \(record.fields.count)")
            }
            return Row(line: record.line, keys: keys, values: record.fields.map(RawCell.text))
        }
    }

    /// The header's names, trimmed, each given once.
    private static func csvKeys(_ fields: [String], line: Int) throws -> RowKeys {
        let keys = fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for (i, k) in keys.enumerated() where k.isEmpty {
            throw ImportFailure(line: line, message: "column \(i + 1) of the header has no name")
        }
        var lowered = Set<String>()
        for k in keys where !lowered.insert(k.lowercased()).inserted {
            throw ImportFailure(line: line, message: "column '\(k)' appears twice in the header")
        }
        return RowKeys(keys)
    }

    /// The rows of a JSON Lines file, or of a CSV file after its header, read on every core
    /// (`PieceLayout`): each piece writes its rows straight into the file's array (no array
    /// per piece copied into it). A CSV piece checks each field as UTF-8 as it reads it; any
    /// error throws, and the caller reads the file again with `csvRows`: a piece may have
    /// started inside a quoted field (then the piece before it ended inside one), and the
    /// first error is the one the single reading finds. Reading every record into an array
    /// of strings, then copying each into a row of cells on one thread, left the other core
    /// idle for a third of a second in a million-row file.
    private func rowsInPieces(_ buffer: UnsafeBufferPointer<UInt8>, _ format: InterchangeFormat) throws -> [Row] {
        guard let layout = try pieceLayout(buffer, format) else { return [] }
        nonisolated(unsafe) let buffer = buffer
        return try Importer.inPartsInPlace(layout.bounds) { (p, append: (Row) -> Void) in
            try readPiece(p, of: layout, in: buffer, passes: 1) { append($0) }
        }
    }

    /// A JSON Lines file, or a CSV file's records after its header, cut at line feeds into
    /// one piece per core (`piecesAtLineEnds`), each numbered from the line breaks before
    /// it, counted first on every core: a million lines found on one thread left the other
    /// core idle for a fifth of a second.
    struct PieceLayout {
        let format: InterchangeFormat
        /// Where each piece is in the file's bytes.
        var pieces: [Range<Int>]
        var firstLine: [Int]
        /// The most rows a piece can hold: its line breaks and one more.
        var bounds: [Int]
        /// For the progress bar: the file's lines, as near as the line breaks tell.
        var lineCount: Int
        /// A CSV file's header.
        var csvKeys: RowKeys?
    }

    /// `buffer`'s pieces; nil for a CSV file without a header (it has no rows). A CSV
    /// file's header is read (its fields checked as UTF-8) and checked here.
    private func pieceLayout(_ buffer: UnsafeBufferPointer<UInt8>, _ format: InterchangeFormat) throws -> PieceLayout? {
        var start = 0
        var keys: RowKeys?
        var linesBefore = 0
        if format == .csv {
            var header: (line: Int, fields: [String])?
            start = try CSVReader.forEachRecord(in: buffer, checkingUTF8: true, field: { $0 }) { line, fields in
                header = (line, fields)
                return false
            }
            guard let header else { return nil }
            keys = try Importer.csvKeys(header.fields, line: header.line)
            linesBefore = CSVReader.lineBreaks(in: UnsafeBufferPointer(rebasing: buffer[..<start]))
        }
        let pieces = Importer.piecesAtLineEnds(UnsafeBufferPointer(rebasing: buffer[start...])).map { ($0.lowerBound + start)..<($0.upperBound + start) }
        var breaks = [Int](repeating: 0, count: pieces.count)
        breaks.withUnsafeMutableBufferPointer { counts in
            nonisolated(unsafe) let counts = counts
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: pieces.count) { p in
                let piece = UnsafeBufferPointer(rebasing: buffer[pieces[p]])
                // JSON Lines count line feeds alone; CSV a lone CR too.
                counts[p] = format == .csv ? CSVReader.lineBreaks(in: piece) : Importer.newlines(in: piece)
            }
        }
        var firstLine = [1 + linesBefore]
        for count in breaks.dropLast() { firstLine.append(firstLine[firstLine.count - 1] + count) }
        return PieceLayout(format: format, pieces: pieces, firstLine: firstLine, bounds: breaks.map { $0 + 1 },
                           lineCount: max(1, linesBefore + breaks.reduce(0, +)), csvKeys: keys)
    }

    /// Reads piece `p`'s rows in file order, each handed to `take`. The first piece asks
    /// `isCancelled` and tells the progress (`passes`: the thirds of the import this
    /// reading stands for).
    private func readPiece(_ p: Int, of layout: PieceLayout, in buffer: UnsafeBufferPointer<UInt8>, passes: Int,
                           _ take: (consuming Row) throws -> Void) throws {
        let piece = layout.pieces[p]
        var rows = 0
        func checkpoint() throws {
            rows += 1
            guard p == 0, rows & 1023 == 1023 else { return }
            if isCancelled() { throw Cancelled() }
            if let progress { progress(passes * min(rows, layout.bounds[0]) * layout.lineCount / layout.bounds[0] / 3, layout.lineCount) }
        }
        switch layout.format {
        case .csv:
            let keys = layout.csvKeys!
            _ = try CSVReader.forEachRecord(in: UnsafeBufferPointer(rebasing: buffer[piece]), firstLine: layout.firstLine[p],
                                            skippingByteOrderMark: false, checkingUTF8: true, field: RawCell.text) { line, cells in
                try checkpoint()
                guard cells.count == keys.names.count else {
                    throw ImportFailure(line: line, message: "expected \(keys.names.count) fields, found \(cells.count)")
                }
                try take(Row(line: line, keys: keys, values: cells))
                return true
            }
        case .jsonl, .json:
            var keysChecked: RowKeys?
            var lineNumber = layout.firstLine[p] - 1
            var start = piece.lowerBound
            while start < piece.upperBound {
                lineNumber += 1
                try checkpoint()
                let end = Importer.lineEnd(buffer, from: start, to: piece.upperBound)
                if buffer[start..<end].contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) {
                    try take(try object(UnsafeBufferPointer(rebasing: buffer[start..<end]), line: lineNumber, keysChecked: &keysChecked))
                }
                start = end + 1
            }
        }
    }

    /// The rows of a JSON Lines or CSV file converted as each piece reads them: no array of
    /// parsed rows is made, and each row's cells are converted while in cache and dropped
    /// at once, their memory taken again by the next row's (the parsed rows of a million
    /// customers were half a gigabyte of fresh pages, faulted in, written, read back from
    /// memory and freed). Nil when the file adds custom fields, whose types come from all
    /// their values, or when reading fails anywhere: the two passes (parse, then convert)
    /// then read the file again, and report the first error as they always did.
    private func readConverting(_ bytes: [UInt8], _ format: InterchangeFormat, _ entity: Entity) throws -> [ConvertedChunk]? {
        let schema = backend.schema(of: entity)
        do {
            return try bytes.withUnsafeBufferPointer { whole -> [ConvertedChunk]? in
                // Windows tools start UTF-8 files with a byte-order mark; it is not data.
                nonisolated(unsafe) let buffer = whole.starts(with: [0xEF, 0xBB, 0xBF]) ? UnsafeBufferPointer(rebasing: whole[3...]) : whole
                guard let layout = try pieceLayout(buffer, format) else { return nil }
                return try Importer.inParts(layout.pieces.count) { p -> [ConvertedChunk] in
                    // A converter per piece, and the plans it makes its own: nothing shared is written.
                    let converter = RowConverter(importer: self, entity: entity, plans: RowConverter.Plans(schema: schema),
                                                 rows: layout.bounds[p])
                    try readPiece(p, of: layout, in: buffer, passes: 2) { row in
                        var row = row
                        try converter.convert(line: row.line, keys: row.keys, cells: &row.values)
                    }
                    return [converter.chunk]
                }
            }
        } catch is Cancelled {
            throw Cancelled()
        } catch {
            return nil
        }
    }

    private func object(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, keysChecked: inout RowKeys?) throws -> Row {
        if let row = try Importer.cells(of: bytes, line: line, keysChecked: &keysChecked) { return row }
        // Not a plain object: the full reader says what is wrong (or reads escaped keys).
        let value: JSONValue
        do {
            var s = JSONScanner(bytes: bytes)
            value = try s.readValue()
            s.skipWhitespace()
            guard s.isAtEnd else { throw ImportFailure(line: line, message: "unexpected text after the object") }
        } catch let e as JSONSyntaxError {
            throw ImportFailure(line: line, message: "invalid JSON at column \(e.column): \(e.message)")
        }
        guard case .object(let members) = value else { throw ImportFailure(line: line, message: "expected a JSON object") }
        return try row(members, line: line, keysChecked: &keysChecked)
    }

    /// Objects mostly repeat the previous one's keys in the same order: those were checked,
    /// and the row shares their list.
    private func row(_ members: [(key: String, value: JSONValue)], line: Int, keysChecked: inout RowKeys?) throws -> Row {
        let values = members.map { RawCell(json: $0.value) }
        if let previous = keysChecked, members.count == previous.names.count,
           zip(members, previous.names).allSatisfy({ $0.key == $1 }) {
            return Row(line: line, keys: previous, values: values)
        }
        return try Importer.row(newKeys: members.map(\.key), values, line: line, keysChecked: &keysChecked)
    }

    /// A row whose keys differ from the previous row's: checked for a key given twice.
    private static func row(newKeys names: [String], _ values: [RawCell], line: Int, keysChecked: inout RowKeys?) throws -> Row {
        var seen = Set<String>()
        for key in names where !seen.insert(key.lowercased()).inserted {
            throw ImportFailure(line: line, message: "key '\(key)' appears twice")
        }
        let keys = RowKeys(names)
        keysChecked = keys
        return Row(line: line, keys: keys, values: values)
    }

    /// A JSON line read straight into cells: the line's UTF-8 checked once, keys compared
    /// with the previous row's as bytes, scalars made without a tree. Nil when the line is
    /// anything but a well-formed object whose keys have no escapes: the full reader then
    /// reads it, with the same result, or reports what is wrong as it always did.
    static func cells(of bytes: UnsafeBufferPointer<UInt8>, line: Int, keysChecked: inout RowKeys?) throws -> Row? {
        guard JSONScanner.isValidUTF8(bytes) else { return nil }
        var scanner = JSONScanner(bytes: bytes)
        scanner.utf8IsValidated = true
        scanner.depth = 1
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        let previousKeys = keysChecked
        let previous = previousKeys?.names ?? []
        var values: [RawCell] = []
        values.reserveCapacity(previous.count)
        // Stays nil while the keys are the previous row's, in order.
        var newKeys: [String]?
        if !scanner.consume(UInt8(ascii: "}")) {
            while true {
                scanner.skipWhitespace()
                guard let key = scanner.plainStringBytes() else { return nil }
                let k = values.count
                if newKeys == nil, k < previous.count, previousKeys!.name(k, is: key) {
                } else {
                    if newKeys == nil { newKeys = Array(previous.prefix(k)) }
                    newKeys!.append(String(decoding: key, as: UTF8.self))
                }
                guard scanner.consume(UInt8(ascii: ":")) else { return nil }
                scanner.skipWhitespace()
                do {
                    switch scanner.currentByte {
                    case UInt8(ascii: "\""): values.append(.jsonString(try scanner.readString()))
                    case UInt8(ascii: "t"): try scanner.literal("true"); values.append(.jsonBool(true))
                    case UInt8(ascii: "f"): try scanner.literal("false"); values.append(.jsonBool(false))
                    case UInt8(ascii: "n"): try scanner.literal("null"); values.append(.jsonNull)
                    case UInt8(ascii: "["), UInt8(ascii: "{"): values.append(.json(try scanner.readValue()))
                    default:
                        switch try scanner.readScalarNumber() {
                        case .integer(let i): values.append(.jsonInteger(i))
                        case .double(let d): values.append(.jsonDouble(d))
                        }
                    }
                } catch is JSONSyntaxError { return nil }
                if scanner.consume(UInt8(ascii: ",")) { continue }
                if scanner.consume(UInt8(ascii: "}")) { break }
                return nil
            }
        }
        guard scanner.isAtEnd else { return nil }
        if newKeys == nil, let known = keysChecked, values.count == previous.count {
            return Row(line: line, keys: known, values: values)
        }
        return try row(newKeys: newKeys ?? Array(previous.prefix(values.count)), values, line: line, keysChecked: &keysChecked)
    }

    static func topLevelElementLines(_ bytes: [UInt8]) -> [Int] {
        var lines: [Int] = []
        var line = 1, depth = 0, inString = false, escaped = false
        for b in bytes {
            if b == 10 { line += 1 }
            if inString {
                if escaped { escaped = false } else if b == 92 { escaped = true } else if b == 34 { inString = false }
                continue
            }
            switch b {
            case 34: inString = true
            case 123, 91:
                if depth == 1 { lines.append(line) }
                depth += 1
            case 125, 93: depth -= 1
            default: break
            }
        }
        return lines
    }

    /// The line of the first byte of `bytes` that is not UTF-8 (the last line when every
    /// byte is), lines ended by line feeds; `countingLoneCR` counts a CR not before a line
    /// feed as a line end too, as CSV does.
    static func lineOfInvalidUTF8(_ bytes: [UInt8], countingLoneCR: Bool = false) -> Int {
        var line = 1, start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            if String(validating: bytes[start..<i], as: UTF8.self) == nil { break }
            line += 1
            start = i + 1
        }
        guard countingLoneCR else { return line }
        // The first bad byte of that line, and the lone CRs before it.
        var parser = Unicode.UTF8.ForwardParser()
        var scalars = bytes[start...].makeIterator()
        var offset = start
        while case .valid(let scalar) = parser.parseScalar(from: &scalars) { offset += scalar.count }
        return bytes.withUnsafeBufferPointer { 1 + CSVReader.lineBreaks(in: UnsafeBufferPointer(rebasing: $0[..<offset])) }
    }

    // MARK: Types

    /// The type that fits every non-null value of a new field.
    static func inferType(_ cells: [RawCell]) -> FieldType {
        var types = Set<FieldType>()
        for cell in cells where !cell.isNull {
            switch cell {
            case .jsonBool: types.insert(.boolean)
            case .jsonInteger: types.insert(.integer)
            case .jsonDouble: types.insert(.number)
            case .jsonString(let s): types.insert(Day(iso: s) != nil ? .date : .string)
            case .json(let v):
                if case .array = v { types.insert(.list) } else { types.insert(.string) }
            case .jsonNull: break
            case .text(let t):
                if Int64(t) != nil { types.insert(.integer) }
                else if let d = Double(t), d.isFinite { types.insert(.number) }
                else if Day(iso: t) != nil { types.insert(.date) }
                else if t == "true" || t == "false" { types.insert(.boolean) }
                else { types.insert(.string) }
            }
        }
        if types.count == 1 { return types.first! }
        if types == [.integer, .number] { return .number }
        if types.contains(.list) { return .list }
        return .string
    }

    struct ConversionError: Error { var text: String }

    /// A cell as a value of `field`, checked by the same `RecordRules` as `add` and `update`.
    func convert(_ cell: RawCell, to field: Field, entity: Entity) throws -> Value {
        var formatWarning: RuleViolation?
        return try convert(cell, to: field, entity: entity, formatWarning: &formatWarning)
    }

    /// The same, with a malformed email or phone kept and handed back as a warning.
    func convert(_ cell: RawCell, to field: Field, entity: Entity, formatWarning: inout RuleViolation?) throws -> Value {
        try convert(cell, to: field, RecordRules.Rule(for: field, in: entity), formatWarning: &formatWarning)
    }

    /// The same with the field's rule worked out already (once per key list). The cell is
    /// consumed: a text cell's string moves into the value.
    func convert(_ cell: __owned RawCell, to field: Field, _ rule: RecordRules.Rule, formatWarning: inout RuleViolation?) throws -> Value {
        var typed = try typedValue(cell, to: field)
        if !valueAliases.isEmpty, let aliases = valueAliases[field.name.lowercased()] {
            switch typed {
            case .string(let s): typed = .string(aliases[s.lowercased()] ?? s)
            case .list(let items): typed = .list(items.map { aliases[$0.lowercased()] ?? $0 })
            default: break
            }
        }
        do { return try RecordRules.check(typed, rule, field.name, formatWarning: &formatWarning) } catch let violation as RuleViolation {
            var text = violation.message
            if let suggestion = violation.suggestion { text += " (did you mean '\(suggestion)'?)" }
            throw ConversionError(text: text)
        }
    }

    /// `-?DIGITS` with 1 to 18 digits, the value `Int64(String)` reads from it (which it
    /// cannot overflow); nil for anything else (a sign `+`, spaces, longer numbers: left to it).
    static func shortInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var at = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { at = 1 }
        let digits = bytes.count - at
        guard digits >= 1, digits <= 18 else { return nil }
        var value: Int64 = 0
        while at < bytes.count {
            let digit = bytes[at] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            at += 1
        }
        return negative ? -value : value
    }

    /// `text` without the white space around it. Most cells start and end with a visible
    /// ASCII character and are returned as they are: Foundation's trimming is slow.
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        if let first = utf8.first, let last = utf8.last, first > 32, first < 0x80, last > 32, last < 0x80 { return text }
        return text.trimmingCharacters(in: .whitespaces)
    }

    private func typedValue(_ cell: __owned RawCell, to field: Field) throws -> Value {
        if cell.isNull { return .null }
        func fail(_ expected: String) -> ConversionError {
            let shown = cell.shown
            return ConversionError(text: "expected \(expected), found \(shown.count > 40 ? String(shown.prefix(40)) + "…" : shown)")
        }
        switch (field.type, cell) {
        case (.string, .text(let t)): return .string(t)
        case (.string, .jsonString(let s)): return .string(s)
        case (.string, .jsonInteger(let i)): return .string(String(i))
        case (.string, .jsonDouble(let d)): return .string(String(d))
        case (.string, .jsonBool(let b)): return .string(String(b))
        case (.integer, .jsonInteger(let i)):
            return .integer(i)
        case (.integer, .jsonDouble(let d)) where d == d.rounded() && abs(d) < 9e15:
            return .integer(Int64(d))
        case (.integer, .text(let t)):
            // Most cells are a few digits, read from their bytes (`Int64(String)` is generic
            // over the string's characters).
            var text = t
            if let i = text.withUTF8({ Importer.shortInteger($0) }) { return .integer(i) }
            guard let i = Int64(Importer.trimmed(t)) else { throw fail("a whole number") }
            return .integer(i)
        case (.number, .jsonInteger(let i)): return .number(Double(i))
        case (.number, .jsonDouble(let d)): return .number(d)
        case (.number, .text(let t)):
            // Most cells are short decimals, read from their bytes (`Double(String)` copies
            // the text for `strtod`).
            var text = t
            if let d = text.withUTF8({ JSONScanner.shortDecimal($0) }) { return .number(d) }
            guard let d = Double(Importer.trimmed(t)), d.isFinite else { throw fail("a number") }
            return .number(d)
        case (.date, .jsonString(let s)), (.date, .text(let s)):
            guard let d = Day(iso: Importer.trimmed(s)) else { throw fail("a date (YYYY-MM-DD)") }
            return .date(d)
        case (.instant, .jsonString(let s)), (.instant, .text(let s)):
            if let t = Clock.parseISO8601(s, defaultZone: clock.timeZone) { return .instant(t) }
            if let d = Day(iso: s), let t = Clock.checkedInstant(Clock(now: 0, timeZone: clock.timeZone).startOfDay(d)) { return .instant(t) }
            if let t = Int64(s).flatMap(Clock.checkedInstant) { return .instant(t) }
            throw fail("a time (2026-11-01T09:30:00+08:00)")
        case (.instant, .jsonInteger(let t)) where Clock.instantRange.contains(t): return .instant(t)
        case (.list, .json(.array(let items))):
            var strings: [String] = []
            for item in items {
                switch item {
                case .string(let s): strings.append(s)
                case .integer(let i): strings.append(String(i))
                default: throw fail("a list of strings")
                }
            }
            return strings.isEmpty ? .null : .list(strings)
        case (.list, .jsonString(let s)), (.list, .text(let s)):
            let items = ListCell.split(s)
            return items.isEmpty ? .null : .list(items)
        case (.boolean, .jsonBool(let b)): return .boolean(b)
        case (.boolean, .text(let t)):
            switch t.lowercased() {
            case "true", "yes", "1": return .boolean(true)
            case "false", "no", "0": return .boolean(false)
            default: throw fail("true or false")
            }
        default:
            switch field.type {
            case .string: throw fail("text")
            case .integer: throw fail("a whole number")
            case .number: throw fail("a number")
            case .date: throw fail("a date (YYYY-MM-DD)")
            case .instant: throw fail("a time")
            case .list: throw fail("a list of strings")
            case .boolean: throw fail("true or false")
            }
        }
    }
}

/// The parts of `Importer.inParts`: each part writes only its own slot, and
/// `concurrentPerform` returns after all have.
private final class ChunkWork<T>: @unchecked Sendable {
    let body: (Int) throws -> [T]
    var outcomes: [Swift.Result<[T], Error>?]
    init(_ body: @escaping (Int) throws -> [T], _ chunks: Int) {
        self.body = body
        outcomes = Array(repeating: nil, count: chunks)
    }
}

/// Writes query results as JSON Lines, a JSON array or CSV, in the same shapes import reads.
public enum Exporter {
    public static func text(_ result: ResultSet, format: InterchangeFormat, timeZone: TimeZone) -> String {
        text(result, format: format, timeZone: timeZone, progress: nil, isCancelled: nil) ?? ""
    }

    /// The same, telling `progress` how many rows are done every thousand rows; nil when
    /// `isCancelled` said stop.
    public static func text(_ result: ResultSet, format: InterchangeFormat, timeZone: TimeZone,
                            progress: ((Int) -> Void)?, isCancelled: (() -> Bool)?) -> String? {
        let output: OutputFormat
        switch format {
        case .jsonl: output = .jsonl
        case .json: output = .json
        case .csv: output = .csv
        }
        var renderer = ResultRenderer(format: output, timeZone: timeZone)
        renderer.progress = progress
        renderer.isCancelled = isCancelled
        return renderer.renderUnlessCancelled(result)
    }
}
