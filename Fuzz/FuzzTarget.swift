// The libFuzzer entry point for Rapport's hostile-input surfaces. Not a SwiftPM target:
// scripts/fuzz compiles it together with every file of Sources/RapportCore into one
// module (so internal types such as JournalReplay and SnapshotCodec are reachable) with
// `swiftc -sanitize=fuzzer,address`.
//
// The first byte of an input picks the surface, the rest is the input:
//
//   q  query language: each line is a command run by a Session on a store of 8 demo
//      customers. When the commands changed it, the store's snapshot must read back as
//      the same store, and one such input in eight (by its checksum, so runs repeat) is
//      run again on a store in a real directory (tmpfs), which is then closed, reopened
//      and checked: it must open, hold exactly what the run in memory held, and `check`
//      must find it sound
//   j  the JSON scanner alone (what journal entries and imports go through)
//   l  journal lines, each sealed with its right CRC-32 so the decoder is reached;
//      replayed in memory; one input in eight also as journal.jsonl of a store: open,
//      check, and when it does not open, recover
//   r  the same with the bytes as they are (no sealing)
//   s  a snapshot, sealed with its right checksum trailer: read in memory, then as
//      snapshot.json of a store (one input in eight): open, check, recover
//   t  the same with the bytes as they are
//   i, a, c  an import file (JSON Lines, JSON array, CSV) run through
//      `import ENTITY from "FILE"`; the second byte picks the entity (c customers,
//      o contacts, p purchases, t tickets), then the same checks as for q
//   o  the command line: the bytes split at NUL into an argument vector for
//      `Options.parse` (Sources/RapportShell/Options.swift, compiled in too); its `-c`
//      commands are lexed with its `--param` values, and each argument taken apart as
//      a path, where `Path`'s parts must put the path back together
//
// Any other first byte picks a surface by its value. Errors are expected and fine;
// a trap, a crash, a hang, or a store that does not reopen to what it held is a bug
// (the target calls fatalError for the last, so libFuzzer records the input).
//
// RAPPORT_FUZZ_SURFACE=q (or j, l, ...) makes every input go to that one surface
// (the first byte is still consumed), for runs that measure one surface at a time.

import Foundation

private let utc = TimeZone(identifier: "UTC")!
/// 2026-11-01T00:00:00Z: every run sees the same "today".
private let fixedNow: Int64 = 1_793_491_200
private let fuzzClock = Clock(now: fixedNow, timeZone: utc)

private enum Surface: Character, CaseIterable {
    case query = "q", json = "j", journalSealed = "l", journalRaw = "r", snapshotSealed = "s", snapshotRaw = "t"
    case importJSONL = "i", importJSON = "a", importCSV = "c"
    case commandLine = "o"
}

private let forcedSurface: Surface? = ProcessInfo.processInfo.environment["RAPPORT_FUZZ_SURFACE"]
    .flatMap { $0.first }.flatMap { Surface(rawValue: $0) }

/// A scratch store directory on tmpfs, emptied before each input.
private let workDirectory: String = {
    let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = base + "/rapport-fuzz-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    try! FileSystem.createDirectory(dir, mode: 0o700)
    atexit { try? FileManager.default.removeItem(atPath: "/dev/shm/rapport-fuzz-\(getpid())") }
    return dir
}()
private var storeDirectory: String { workDirectory + "/store" }

/// The snapshot of a small demo store: 8 customers with their contacts, purchases, tickets.
private let demoSnapshot: [UInt8] = {
    SnapshotCodec.encode(demoStore())
}()

private func demoStore() -> Store {
    let store = Store()
    DemoGenerator(size: 8, today: fuzzClock.today).generate { entity, record in _ = store[entity].append(record) }
    return store
}

/// Whether this input also takes the slow path through real files: one in eight, chosen
/// by the input's checksum so that a run of the same input does the same.
private func alsoOnDisk(_ bytes: [UInt8]) -> Bool { CRC32.checksum(bytes) % 8 == 0 }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let first = data[0]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let surface = forcedSurface
        ?? Surface(rawValue: Character(Unicode.Scalar(first)))
        ?? Surface.allCases[Int(first) % Surface.allCases.count]
    switch surface {
    case .query: fuzzQuery(body)
    case .json: fuzzJSON(body)
    case .journalSealed: fuzzJournal(sealJournal(body))
    case .journalRaw: fuzzJournal(body)
    case .snapshotSealed: fuzzSnapshot(sealSnapshot(body))
    case .snapshotRaw: fuzzSnapshot(body)
    case .importJSONL: fuzzImport(body, format: .jsonl)
    case .importJSON: fuzzImport(body, format: .json)
    case .importCSV: fuzzImport(body, format: .csv)
    case .commandLine: fuzzCommandLine(body)
    }
    return 0
}

// MARK: Command line

private func fuzzCommandLine(_ body: [UInt8]) {
    let arguments = body.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    for argument in arguments {
        let names = Path.components(argument)
        guard Path.components(Path.prefixes(argument).last ?? "") == names else {
            fatalError("Path.prefixes(\(argument.debugDescription)) does not end at the path")
        }
        if names.count >= 2, Path.components(Path.join(Path.parent(argument), Path.lastComponent(argument))) != names {
            fatalError("Path.parent and lastComponent of \(argument.debugDescription) do not join back to it")
        }
        _ = Path.fileExtension(argument)
    }
    guard let options = try? Options.parse(arguments) else { return }
    for case .command(let text) in options.inputs {
        _ = try? Lexer.tokenize(text, parameters: options.parameters)
    }
}

// MARK: Store directory

private func freshStore(snapshot: [UInt8]? = demoSnapshot, journal: [UInt8]? = nil) {
    try? FileManager.default.removeItem(atPath: storeDirectory)
    try! FileSystem.createDirectory(storeDirectory, mode: 0o700)
    if let snapshot { try! FileSystem.writeAtomically(snapshot, to: storeDirectory + "/" + Database.snapshotFile) }
    if let journal { try! FileSystem.writeAtomically(journal, to: storeDirectory + "/" + Database.journalFile) }
}

/// The store as bytes, to compare two stores.
private func image(_ store: Store) -> [UInt8] { SnapshotCodec.encode(store) }

/// The store's snapshot must read back as the same store.
private func requireSnapshotRoundTrip(_ store: Store, after what: @autoclosure () -> String) -> [UInt8] {
    let expected = image(store)
    let again: Store
    do { again = try SnapshotCodec.read(expected) } catch {
        fatalError("the store's own snapshot does not read back after \(what()): \(error)")
    }
    if image(again) != expected { fatalError("the store's snapshot reads back different after \(what())") }
    return expected
}

/// Closes the store, reopens it, and stops the fuzzer if it does not hold `expected`
/// (what the same commands left in a store in memory) or `check` finds it damaged.
private func requireReopens(_ database: Database, as expected: [UInt8], after what: @autoclosure () -> String) {
    if image(database.store) != expected {
        fatalError("the store on disk differs from the store in memory after \(what()):\nmemory \(String(decoding: expected, as: UTF8.self))\ndisk \(String(decoding: image(database.store), as: UTF8.self))")
    }
    database.close()
    let reopened: Database
    do { reopened = try Database.open(directory: storeDirectory) } catch {
        fatalError("the store did not reopen after \(what()): \(error)")
    }
    let actual = image(reopened.store)
    reopened.close()
    if actual != expected {
        fatalError("the store reopened different after \(what()):\nexpected \(String(decoding: expected, as: UTF8.self))\nfound \(String(decoding: actual, as: UTF8.self))")
    }
    let report = Database.check(directory: storeDirectory)
    if !report.isSound { fatalError("check finds the store damaged after \(what()):\n\(report)") }
}

// MARK: Query language

/// Text the way the shell takes it: valid UTF-8 as it is; otherwise repaired with
/// U+FFFD, as `-c` arguments and the interactive shell (String(cString:)) do. (Script
/// files and standard input refuse such text before parsing.)
private func text(_ bytes: [UInt8]) -> String {
    String(validating: bytes, as: UTF8.self) ?? String(decoding: bytes, as: UTF8.self)
}

private func fuzzQuery(_ body: [UInt8]) {
    let source = text(body)
    let commands = source.split(separator: "\n", omittingEmptySubsequences: true).prefix(24).map(String.init)
    guard !commands.isEmpty else { _ = try? Parser.parse(source); return }
    checkStores(body, after: "the commands") { runCommands(commands, on: $0) }
}

/// Runs `run` on an in-memory demo store and, when it changed the store, checks that
/// the snapshot reads back; for one input in eight, runs it again on a real store
/// directory that must reopen to the same store.
private func checkStores(_ body: [UInt8], after what: String, _ run: (Database) -> Store) {
    let store = run(Database.inMemory(demoStore()))
    // The checks below cost more than the commands: only for inputs that changed something.
    guard store.sequence > 0 else { return }
    requireDerivedFieldsAgree(store, after: what)
    let expected = requireSnapshotRoundTrip(store, after: what)
    if alsoOnDisk(body) {
        freshStore()
        let database: Database
        do { database = try Database.open(directory: storeDirectory) } catch { fatalError("the demo store did not open: \(error)") }
        _ = run(database)
        requireReopens(database, as: expected, after: what)
    }
}

/// Runs commands as the shell does, one per line; returns the store.
private func runCommands(_ commands: [String], on database: Database) -> Store {
    let session = Session(backend: InMemoryBackend(database: database), settings: Settings(user: "fuzz"), clock: fuzzClock, pinnedNow: fixedNow)
    for command in commands {
        // Commands that name files or directories are parsed and checked but not run:
        // the fuzzer must not read /dev/zero or write over files of its own choosing.
        if let parsed = try? Parser.parse(command) {
            switch parsed {
            case .importData, .backup: continue
            case .export(let entity, let condition, _):
                var q = FindQuery(entity: entity)
                q.condition = condition
                _ = try? Checker(schema: database.store[entity.entity].schema, clock: fuzzClock).check(q)
                continue
            default: break
            }
        }
        let outcome = session.run(command)
        // A reply may be long but never unbounded.
        if outcome.messages.utf8.count > 1 << 20 { fatalError("a diagnostic of \(outcome.messages.utf8.count) bytes") }
    }
    return database.store
}

// MARK: Derived fields

/// The demo customers start with derived fields that agree with their records, and no
/// command may set them apart from the records (update refuses them), so after any
/// sequence of commands each demo customer still in its row (not deleted and re-added)
/// has totalSpent, purchaseCount, lastPurchase and lastContact equal to a recomputation.
private func requireDerivedFieldsAgree(_ store: Store, after what: @autoclosure () -> String) {
    struct Recomputed { var cents: Int64 = 0; var count: Int64 = 0; var lastPurchase: Day?; var lastContact: Day? }
    func value(_ table: Table, _ row: Int, _ name: String) -> Value {
        guard let p = table.schema.position(of: name) else { return .null }
        return table.value(row: row, field: p)
    }
    var recomputed: [String: Recomputed] = [:]
    let purchases = store[.purchases]
    for row in purchases.liveRows.map(Int.init) {
        guard case .string(let c) = value(purchases, row, "customer") else { continue }
        recomputed[c, default: Recomputed()].cents += Int64(((value(purchases, row, "amount").doubleValue ?? 0) * 100).rounded())
        recomputed[c, default: Recomputed()].count += 1
        if case .date(let d) = value(purchases, row, "date") { recomputed[c, default: Recomputed()].lastPurchase = max(recomputed[c]?.lastPurchase ?? d, d) }
    }
    let contacts = store[.contacts]
    for row in contacts.liveRows.map(Int.init) {
        guard case .string(let c) = value(contacts, row, "customer") else { continue }
        if case .date(let d) = value(contacts, row, "date") { recomputed[c, default: Recomputed()].lastContact = max(recomputed[c]?.lastContact ?? d, d) }
    }
    let customers = store.customers
    for (row, id) in demoCustomerRows {
        guard customers.row(ofID: id) == row else { continue }
        let r = recomputed[id] ?? Recomputed()
        let cents = Int64(((value(customers, row, "totalSpent").doubleValue ?? 0) * 100).rounded())
        let count: Int64 = { if case .integer(let n) = value(customers, row, "purchaseCount") { return n }; return 0 }()
        let lastPurchase: Day? = { if case .date(let d) = value(customers, row, "lastPurchase") { return d }; return nil }()
        let lastContact: Day? = { if case .date(let d) = value(customers, row, "lastContact") { return d }; return nil }()
        guard cents == r.cents, count == r.count, lastPurchase == r.lastPurchase, lastContact == r.lastContact else {
            fatalError("customer \(id)'s derived fields disagree with its records after \(what()): "
                + "totalSpent \(cents) vs \(r.cents) cents, purchaseCount \(count) vs \(r.count), "
                + "lastPurchase \(String(describing: lastPurchase)) vs \(String(describing: r.lastPurchase)), "
                + "lastContact \(String(describing: lastContact)) vs \(String(describing: r.lastContact))")
        }
    }
}

/// The demo store's customers and their rows.
private let demoCustomerRows: [(Int, String)] = {
    let customers = demoStore().customers
    return customers.liveRows.map { (Int($0), customers.id(ofRow: Int($0))) }
}()

// MARK: JSON

private func fuzzJSON(_ body: [UInt8]) {
    _ = try? JSONScanner.withScanner(body) { s -> JSONValue in
        let v = try s.readValue()
        _ = s.isAtEnd
        // What reads must write back and read again as the same value.
        let again = try JSONScanner.withScanner(JSONWriter.encode(v)) { try $0.readValue() }
        if !sameJSON(v, again) { fatalError("JSON did not round-trip: \(v) vs \(again)") }
        return v
    }
}

/// Equality where a double written back may come back as an integer (1.0 → 1).
private func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.double(let x), .integer(let y)): return x == Double(y)
    case (.double(let x), .double(let y)): return x == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && sameJSON($0.value, $1.value) }
    default: return a == b
    }
}

// MARK: Journal

/// Each complete line gets the checksum it should have, so the decoder sees the JSON;
/// text after the last newline stays as it is, like an entry torn by a crash.
private func sealJournal(_ body: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var start = 0
    while let newline = body[start...].firstIndex(of: 10) {
        let line = body[start..<newline]
        out += line
        out.append(9)
        out += Array(JournalCodec.hex(CRC32.checksum(line)).utf8)
        out.append(10)
        start = newline + 1
    }
    out += body[start...]
    return out
}

private func fuzzJournal(_ bytes: [UInt8]) {
    _ = JournalReplay.run(bytes, into: nil)
    _ = JournalReplay.run(bytes, into: Store())
    let store = demoStore()
    if JournalReplay.run(bytes, into: store).applied > 0 { _ = requireSnapshotRoundTrip(store, after: "replaying a journal") }
    if alsoOnDisk(bytes) { openCheckRecover(snapshot: demoSnapshot, journal: bytes, what: "a journal") }
}

// MARK: Snapshot

/// The input followed by the checksum trailer it should have.
private func sealSnapshot(_ body: [UInt8]) -> [UInt8] {
    body + Array("\"checksum\":\"\(JournalCodec.hex(CRC32.checksum(body)))\"}\n".utf8)
}

private func fuzzSnapshot(_ bytes: [UInt8]) {
    // A snapshot that reads must write back and read again as the same store, or the
    // next `save` would leave a store that does not open.
    if let store = try? SnapshotCodec.read(bytes) { _ = requireSnapshotRoundTrip(store, after: "reading a snapshot") }
    if alsoOnDisk(bytes) { openCheckRecover(snapshot: bytes, journal: nil, what: "a snapshot") }
}

/// Opens a store made of these files; whatever fails, `check` must say so and `recover`
/// must leave a store that opens and checks sound.
private func openCheckRecover(snapshot: [UInt8], journal: [UInt8]?, what: String) {
    freshStore(snapshot: snapshot, journal: journal)
    let report = Database.check(directory: storeDirectory)
    do {
        let database = try Database.open(directory: storeDirectory)
        database.close()
        if !report.isSound { fatalError("\(what) opens but check finds it damaged:\n\(report)") }
        return
    } catch {
        if report.isSound { fatalError("\(what) that check finds sound does not open: \(error)\n\(report)") }
    }
    do { _ = try Database.recover(directory: storeDirectory) } catch {
        // A file from a newer Rapport is refused, never guessed at, by recover too
        // (docs/reliability.md): the store is left as it was, which is what must happen.
        if "\(error)".contains("written by a newer version of Rapport") { return }
        fatalError("recover failed on \(what): \(error)")
    }
    do {
        let database = try Database.open(directory: storeDirectory)
        database.close()
    } catch {
        fatalError("the store does not open after recover from \(what): \(error)")
    }
    let after = Database.check(directory: storeDirectory)
    if !after.isSound { fatalError("check finds the store damaged after recover from \(what):\n\(after)") }
}

// MARK: Import

private func fuzzImport(_ body: [UInt8], format: InterchangeFormat) {
    var bytes = body
    var entity = Entity.customers
    if let e = bytes.first {
        switch e {
        case UInt8(ascii: "o"): entity = .contacts
        case UInt8(ascii: "p"): entity = .purchases
        case UInt8(ascii: "t"): entity = .tickets
        default: entity = .customers
        }
        bytes.removeFirst()
    }
    // The CSV reader on its own, on text as the importer decodes it.
    if format == .csv, let text = String(validating: bytes, as: UTF8.self) { _ = try? CSVReader.parse(text) }

    let file = workDirectory + "/import." + format.rawValue
    try! FileSystem.writeAtomically(bytes, to: file)
    let commands = ["import \(entity.rawValue) from \"\(file)\"", "find \(entity.rawValue) show *"]
    checkStores(body, after: "an import") { runImport(commands, on: $0) }
}

/// `import` (from the file the fuzzer wrote), then a `find` that prints what came in.
private func runImport(_ commands: [String], on database: Database) -> Store {
    let session = Session(backend: InMemoryBackend(database: database), settings: Settings(user: "fuzz"), clock: fuzzClock, pinnedNow: fixedNow)
    for command in commands { _ = session.run(command) }
    return database.store
}
