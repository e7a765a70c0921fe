import Foundation

/// The one codec layer of an encrypted live store (docs/encryption.md, "An encrypted
/// store"). A store is encrypted when its directory holds the marker file `encrypted`
/// (format version and key id). Then the snapshot is one `SealedFile`, and each journal
/// and audit entry is a line of its own, `S` + base64(sealed entry) + TAB + crc32, so a
/// torn last line stays one line's problem. Every path that reads or writes those files
/// (open, catch-up, commit, checkpoint, check, recover, backup, the audit entity) takes a
/// `StoreCipher?` and goes through here: nil is a plain store.
public struct StoreCipher: Sendable {
    public static let markerFile = "encrypted"
    static let markerFormat = "rapport-encrypted-store"
    static let markerVersion = 1
    /// Every sealed entry starts with the sealed magic and version: in base64, these 12
    /// characters. A line that starts so is our own entry (a torn one is cut off on open).
    static let entryPrefix: [UInt8] = [UInt8(ascii: "S")] + Array(Data(SealedFile.magic + [SealedFile.version]).base64EncodedString().utf8)

    public let key: EncryptionKey

    public static func isEncryptedStore(_ directory: String) -> Bool {
        FileSystem.fileExists(directory + "/" + markerFile)
    }

    /// nil for a plain store. For an encrypted one, the key `RAPPORT_KEY_FILE` names, once
    /// its id is the one the marker holds: checked before anything is read or written.
    public static func forStore(_ directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreCipher? {
        let markerPath = directory + "/" + markerFile
        guard FileSystem.fileExists(markerPath) else { return nil }
        let text: String
        do { text = String(decoding: try FileSystem.readFile(markerPath), as: UTF8.self) } catch {
            throw Diagnostic.runtime(.cannotReadStoreFile, markerPath, "\(error)")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard fields["format"] == markerFormat, let version = fields["version"].flatMap({ Int($0) }), let storeKeyID = fields["key"] else {
            throw Diagnostic.runtime(.encryptedStoreMarkerDamaged, markerPath)
        }
        guard version <= markerVersion else {
            throw Diagnostic(.runtime, .snapshotFromNewerVersion, [directory, markerFile, "encrypted-store format \(version)"], notes: [Database.newerNote])
        }
        let key: EncryptionKey
        do { key = try EncryptionKey.fromEnvironment(environment) } catch let d as Diagnostic where d.id == .encryptionKeyMissing {
            throw Diagnostic.runtime(.encryptedStoreNeedsKey, directory, storeKeyID)
        }
        guard key.idHex == storeKeyID else {
            throw Diagnostic.runtime(.encryptedStoreWrongKey, directory, storeKeyID, key.file, key.idHex)
        }
        return StoreCipher(key: key)
    }

    /// Makes `directory` (new or empty) an encrypted store for `key`: writes only the marker.
    public static func create(_ directory: String, key: EncryptionKey) throws {
        if FileSystem.fileExists(directory) {
            guard FileSystem.isDirectory(directory), ((try? FileSystem.directoryEntries(directory)) ?? ["?"]).isEmpty else {
                throw Diagnostic.runtime(.encryptionTargetNotEmpty, directory)
            }
        } else {
            do { try FileSystem.createDirectory(directory, mode: 0o700) } catch {
                throw Diagnostic.runtime(.cannotCreateStoreDirectory, directory, "\(error)")
            }
        }
        let marker = "format \(markerFormat)\nversion \(markerVersion)\nkey \(key.idHex)\n"
        do { try FileSystem.writeAtomically(Array(marker.utf8), to: directory + "/" + markerFile) } catch {
            throw Diagnostic.runtime(.cannotCreateStoreDirectory, directory, "\(error)")
        }
    }

    // MARK: Entries

    /// A plain journal line (`JSON<TAB>crc<NL>`) as the encrypted store's line.
    func sealEntry(_ plainLine: [UInt8]) throws -> [UInt8] {
        let body = Array(plainLine.dropLast(10))
        var line = [UInt8(ascii: "S")] + Array(Data(try SealedFile.seal(body, with: key)).base64EncodedString().utf8)
        let crc = CRC32.checksum(line)
        line.append(9)
        line.append(contentsOf: JournalCodec.hex(crc).utf8)
        line.append(10)
        return line
    }

    static func isSealedEntry(_ body: some Collection<UInt8>) -> Bool { body.first == UInt8(ascii: "S") }

    /// The JSON of a sealed entry's body (the part before TAB, checksum already checked).
    func openEntry(_ body: some Collection<UInt8>) throws -> [UInt8] {
        guard let sealed = Data(base64Encoded: Data(body.dropFirst())) else {
            throw JournalCodec.LineError.malformed("an encrypted entry that is not base64")
        }
        do { return try SealedFile.open(Array(sealed), with: key) } catch {
            throw JournalCodec.LineError.malformed("an encrypted entry that does not decrypt: \(error)")
        }
    }

    /// A file of sealed entries as plain lines (for a backup, sealed whole afterwards).
    func plainLines(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        while start < bytes.count, let newline = bytes[start...].firstIndex(of: 10) {
            let line = bytes[start..<newline]
            if let tab = line.lastIndex(of: 9), StoreCipher.isSealedEntry(line) {
                let body = try openEntry(line[line.startIndex..<tab])
                out += body
                out.append(9)
                out += JournalCodec.hex(CRC32.checksum(body)).utf8
                out.append(10)
            } else {
                out += bytes[start...newline]
            }
            start = newline + 1
        }
        return out
    }

    // MARK: Snapshots

    /// Reads the snapshot at `path` (sealed when `cipher` is set); returns it and its size.
    static func readSnapshot(at path: String, cipher: StoreCipher?) throws -> (store: Store, bytes: Int) {
        guard let cipher else {
            var size = 0
            let store = try FileSystem.withMappedFile(path) { buffer in
                size = buffer.count
                return try SnapshotCodec.read(buffer)
            }
            return (store, size)
        }
        let sealed = try FileSystem.readFile(path)
        guard SealedFile.isSealed(sealed) else { throw SnapshotError(offset: 0, message: "not encrypted, in an encrypted store") }
        let plain: [UInt8]
        do { plain = try SealedFile.open(sealed, with: cipher.key) } catch { throw SnapshotError(offset: 0, message: "it does not decrypt: \(error)") }
        return (try SnapshotCodec.read(plain), sealed.count)
    }

    /// Writes the store's snapshot atomically to `path`, sealed when `cipher` is set.
    static func writeSnapshot(_ store: Store, to path: String, cipher: StoreCipher?,
                              progress: SnapshotProgress = SnapshotProgress()) throws -> Int {
        guard let cipher else { return try SnapshotCodec.write(store, to: path, progress: progress) }
        let sealed = try SealedFile.seal(SnapshotCodec.encode(store, progress: progress), with: cipher.key)
        try FileSystem.writeAtomically(sealed, to: path, mode: 0o600)
        return sealed.count
    }
}
