import Foundation

/// `export store to "DIR"` and `import store from "DIR"` (docs/storage.md, "Moving a store"):
/// a whole store as files any backend reads and writes, so that it moves between a store
/// directory and a PostgreSQL database either way. DIR holds one JSON Lines file per
/// entity (the `export` command's format, instants in UTC), `policy.json` (the keys set
/// away from their defaults) and, written last, `manifest.json`: per entity its custom
/// fields, count and the file's SHA-256, the policy file's SHA-256, and the highest
/// generated id number per entity. Import verifies all of it before it changes anything.
public struct StoreTransfer {
    public static let manifestName = "manifest.json"
    static let policyName = "policy.json"
    static let format = "rapport-store"
    static let version = 1
    /// Whatever the session's zone: a directory reads back the same everywhere.
    static let timeZone = TimeZone(identifier: "UTC")!

    let backend: any Backend
    let clock: Clock

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    // MARK: Export

    /// Writes the store into `directory` (new or empty); says what it wrote.
    public func export(to directory: String, span: SourceSpan) throws -> String {
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory), !existing.isEmpty {
            throw Diagnostic(.runtime, .storeExportNotEmpty, [directory], at: span)
        }
        do { try FileSystem.createDirectory(directory) } catch { throw Diagnostic.runtime(.cannotWriteFile, directory, "\(error)") }
        var entities: [[String: Any]] = []
        var highest: [String: Int] = [:]
        var total = 0
        for entity in Entity.stored {
            var q = FindQuery(entity: EntityName(entity: entity, span: span))
            q.showAll = true
            var checked = try Checker(schema: backend.schema(of: entity), clock: clock).check(q)
            // Stored fields only, as `export` writes them: derived ones are worked out again.
            checked.columns.removeAll { $0.value.field?.isDerived ?? false }
            try backend.checkSupported(checked)
            let result = backend.find(checked, clock: clock)
            let bytes = Array(Exporter.text(result, format: .jsonl, timeZone: Self.timeZone).utf8)
            let file = entity.rawValue + ".jsonl"
            try write(bytes, directory, file)
            let custom = backend.schema(of: entity).fields.filter(\.isCustom).map { ["name": $0.name, "type": $0.type.rawValue] }
            entities.append(["entity": entity.rawValue, "file": file, "count": result.rows.count,
                             "sha256": Importer.sha256(bytes), "customFields": custom])
            highest[entity.rawValue] = backend.highestGeneratedNumber(entity)
            total += result.rows.count
        }
        let policy = try JSONSerialization.data(withJSONObject: backend.policy.overrides, options: [.sortedKeys, .prettyPrinted])
        try write(Array(policy) + [UInt8(ascii: "\n")], directory, Self.policyName)
        let manifest: [String: Any] = [
            "format": Self.format, "version": Self.version, "entities": entities,
            "policy": ["file": Self.policyName, "sha256": Importer.sha256(Array(policy) + [UInt8(ascii: "\n")])],
            "highestGeneratedNumbers": highest,
        ]
        let manifestBytes = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted])
        // Last: a directory without it is an export that did not finish.
        try write(Array(manifestBytes) + [UInt8(ascii: "\n")], directory, Self.manifestName)
        return "exported the store to \(directory): \(total) records of \(Entity.stored.count) entities, \(backend.policy.overrides.count) policy keys set"
    }

    private func write(_ bytes: [UInt8], _ directory: String, _ file: String) throws {
        let path = directory + "/" + file
        do { try FileSystem.writeAtomically(bytes, to: path, mode: 0o600) } catch { throw Diagnostic.runtime(.cannotWriteFile, path, "\(error)") }
    }

    // MARK: Import

    /// The change set that fills this (empty) store with the one in `directory`, checked
    /// against its manifest first: a missing, damaged or partial directory changes nothing.
    public func importSet(from directory: String, user: String, command: String, span: SourceSpan) throws -> (set: ChangeSet, summary: String) {
        func damaged(_ why: String) -> Diagnostic { Diagnostic(.runtime, .storeImportDamaged, [directory, why], at: span) }
        let manifestBytes: [UInt8]
        do { manifestBytes = try FileSystem.readFile(directory + "/" + Self.manifestName) } catch {
            throw damaged("it has no \(Self.manifestName) (not a finished 'export store')")
        }
        guard let manifest = (try? JSONSerialization.jsonObject(with: Data(manifestBytes))) as? [String: Any],
              manifest["format"] as? String == Self.format, let entries = manifest["entities"] as? [[String: Any]] else {
            throw damaged("\(Self.manifestName) is not a Rapport store manifest")
        }
        guard (manifest["version"] as? Int).map({ $0 <= Self.version }) == true else {
            throw damaged("it was written by a newer Rapport (manifest version \(manifest["version"] ?? "?"))")
        }
        let held = Entity.stored.filter { backend.count($0) > 0 }
        if !held.isEmpty {
            throw Diagnostic(.runtime, .storeImportTargetNotEmpty, [held.map(\.rawValue).joined(separator: ", ")], at: span)
        }
        func verified(_ file: String, _ sha: Any?) throws -> [UInt8] {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(directory + "/" + file) } catch { throw damaged("\(file) is missing") }
            guard Importer.sha256(bytes) == sha as? String else { throw damaged("\(file) does not match its SHA-256 in the manifest") }
            return bytes
        }

        var set = ChangeSet(at: clock.now, user: user, command: command)
        // The manifest stands for the whole directory (it holds every file's SHA-256): a large
        // store then goes the way of a bulk import, its records into the snapshot (or the
        // tables) and one summary into the audit, not a second copy of every record.
        set.importSource = ImportSource(file: directory + "/" + Self.manifestName, sha256: Importer.sha256(manifestBytes))
        let importer = Importer(backend: backend, clock: clock)
        var counts: [String] = []
        var seen = Set<Entity>()
        for entry in entries {
            guard let name = entry["entity"] as? String, let entity = Entity(rawValue: name), entity.isStored,
                  let file = entry["file"] as? String, !file.contains("/"), let count = entry["count"] as? Int else {
                throw damaged("\(Self.manifestName) names an entity it should not")
            }
            seen.insert(entity)
            var schema = backend.schema(of: entity)
            for custom in entry["customFields"] as? [[String: String]] ?? [] {
                guard let fieldName = custom["name"], let type = custom["type"].flatMap(FieldType.init(rawValue:)) else { throw damaged("a custom field of \(name) is unreadable") }
                if schema.field(named: fieldName) == nil {
                    let field = Field(fieldName, type, isCustom: true)
                    set.fieldAdditions.append(FieldAddition(entity: entity, field: field))
                    schema = EntitySchema(entity: entity, customFields: schema.fields.filter(\.isCustom) + [field])
                }
            }
            let bytes = try verified(file, entry["sha256"])
            var records = 0
            var lineNumber = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                guard !line.isEmpty else { continue }
                let where_ = "\(file) line \(lineNumber)"
                guard case .object(let members)? = try? JSONScanner.withScanner(Array(line), { try $0.readValue() }) else {
                    throw damaged("\(where_) is not a JSON object")
                }
                var after: [String: Value] = [:]
                for (key, json) in members {
                    guard let field = schema.field(named: key) else { throw damaged("\(where_): \(name) has no field '\(key)'") }
                    do { let v = try importer.convert(RawCell(json: json), to: field, entity: entity); if !v.isNull { after[field.name] = v } } catch {
                        throw damaged("\(where_): the value of '\(key)' does not fit its type \(field.type.rawValue)")
                    }
                }
                guard case .string(let id)? = after[RecordField.id] else { throw damaged("\(where_) has no id") }
                set.changes.append(RecordChange(kind: .insert, entity: entity, id: id, after: after))
                records += 1
            }
            guard records == count else { throw damaged("\(file) holds \(records) records; the manifest says \(count)") }
            if count > 0 { counts.append("\(count) \(count == 1 ? entity.singular : entity.rawValue)") }
        }
        guard !seen.isEmpty else { throw damaged("the manifest lists no entities") }

        guard let policyEntry = manifest["policy"] as? [String: Any], let policyFile = policyEntry["file"] as? String, !policyFile.contains("/") else {
            throw damaged("\(Self.manifestName) names no policy file")
        }
        let policyBytes = try verified(policyFile, policyEntry["sha256"])
        guard let overrides = (try? JSONSerialization.jsonObject(with: Data(policyBytes))) as? [String: Double] else {
            throw damaged("\(policyFile) is not a policy")
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard PolicyCatalogue.key(named: key) != nil else { throw damaged("\(policyFile) sets '\(key)', which this Rapport does not know") }
            let before = backend.policy[key]
            if before != value { set.policyChanges.append(PolicyChange(key: key, before: before, after: value)) }
        }
        for (name, number) in manifest["highestGeneratedNumbers"] as? [String: Int] ?? [:] {
            if let entity = Entity(rawValue: name), number > 0 { set.highestGeneratedNumbers[entity] = number }
        }
        let summary = "imported the store from \(directory): " + (counts.isEmpty ? "no records" : counts.joined(separator: ", "))
            + ", \(set.policyChanges.count) policy keys set"
        return (set, summary)
    }
}
