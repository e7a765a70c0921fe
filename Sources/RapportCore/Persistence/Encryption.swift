import CCrypto
import Foundation

/// A 256-bit AES key, read from the file that `RAPPORT_KEY_FILE` names (docs/encryption.md).
/// The key never comes from the command line, so it is never in history, the audit log or
/// `ps`.
public struct EncryptionKey: Sendable {
    public static let environmentVariable = "RAPPORT_KEY_FILE"
    static let length = 32

    let bytes: [UInt8]
    /// The first 8 bytes of the key's SHA-256: written in every sealed file, so that a wrong
    /// key is named as such before anything is decrypted. It reveals nothing of the key.
    public let id: [UInt8]
    /// The key file's name, for messages (never its contents).
    public let file: String

    init(bytes: [UInt8], file: String) {
        precondition(bytes.count == EncryptionKey.length)
        self.bytes = bytes
        self.file = file
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        _ = SHA256(bytes, bytes.count, &digest)
        self.id = Array(digest.prefix(SealedFile.keyIDLength))
    }

    public var idHex: String { SealedFile.hex(id) }

    /// The key in the file that `RAPPORT_KEY_FILE` names; a clear error when it is unset.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EncryptionKey {
        guard let path = environment[environmentVariable], !path.isEmpty else {
            throw Diagnostic.runtime(.encryptionKeyMissing)
        }
        return try load(file: path)
    }

    /// Reads a key file: exactly 32 raw bytes, or 64 hex characters (a final newline
    /// allowed). Like ssh with a private key, a file that group or others may read is
    /// refused: the key would no longer be a secret.
    public static func load(file path: String) throws -> EncryptionKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Diagnostic.runtime(.keyFileUnreadable, path, String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Diagnostic.runtime(.keyFileUnreadable, path, "not a regular file")
        }
        if info.st_mode & 0o077 != 0 {
            throw Diagnostic.runtime(.keyFileNotPrivate, path, String(info.st_mode & 0o777, radix: 8))
        }
        let contents: [UInt8]
        do { contents = try FileSystem.readFile(path) } catch {
            throw Diagnostic.runtime(.keyFileUnreadable, path, "\(error)")
        }
        if contents.count == length { return EncryptionKey(bytes: contents, file: path) }
        var text = contents[...]
        while let last = text.last, last == 10 || last == 13 { text = text.dropLast() }
        if text.count == 2 * length, let decoded = SealedFile.unhex(text) { return EncryptionKey(bytes: decoded, file: path) }
        throw Diagnostic.runtime(.keyFileMalformed, path, "\(contents.count) bytes")
    }
}

/// One file sealed whole with AES-256-GCM:
///
///     magic "RAPSEAL\n" (8) | version (1) | key id (8) | nonce (12) | ciphertext | tag (16)
///
/// The nonce is random (RAND_bytes) for every file, so one key may seal many. The header is
/// authenticated data: a changed byte anywhere, header included, fails the tag check.
public enum SealedFile {
    static let magic: [UInt8] = Array("RAPSEAL\n".utf8)
    static let version: UInt8 = 1
    static let keyIDLength = 8
    static let nonceLength = 12
    static let tagLength = 16
    static var headerLength: Int { magic.count + 1 + keyIDLength + nonceLength }

    public enum OpenError: Error, Equatable, CustomStringConvertible {
        case notSealed
        case newerVersion(UInt8)
        case wrongKey(fileKeyID: String, keyID: String)
        case truncated
        case tampered

        public var description: String {
            switch self {
            case .notSealed: "not an encrypted Rapport file"
            case .newerVersion(let v): "encryption format \(v), newer than this Rapport reads (\(SealedFile.version))"
            case .wrongKey(let file, let key): "sealed with key \(file), not with key \(key)"
            case .truncated: "too short to be an encrypted Rapport file"
            case .tampered: "the authentication tag does not match"
            }
        }
    }

    public static func isSealed(_ bytes: some Collection<UInt8>) -> Bool { bytes.starts(with: magic) }

    /// The file at `path` starts with the sealed magic (reads only its first bytes).
    static func isSealedFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: magic.count)) ?? Data()
        return isSealed(head)
    }

    public static func seal(_ plaintext: [UInt8], with key: EncryptionKey) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: nonceLength)
        guard RAND_bytes(&nonce, Int32(nonceLength)) == 1 else { throw Diagnostic.runtime(.cryptoFailed, "RAND_bytes") }
        var out = magic + [version] + key.id + nonce
        let header = out
        guard let context = EVP_CIPHER_CTX_new() else { throw Diagnostic.runtime(.cryptoFailed, "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        var total = 0
        let ok = key.bytes.withUnsafeBufferPointer { keyBytes in
            EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
                && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
                && EVP_EncryptInit_ex(context, nil, nil, keyBytes.baseAddress, nonce) == 1
                && EVP_EncryptUpdate(context, nil, &written, header, Int32(header.count)) == 1
        }
        guard ok else { throw Diagnostic.runtime(.cryptoFailed, "EVP_EncryptInit_ex") }
        // EVP takes an int length: large snapshots go through in pieces.
        var offset = 0
        while offset < plaintext.count {
            let piece = min(plaintext.count - offset, 1 << 30)
            let done = plaintext.withUnsafeBufferPointer { p in
                ciphertext.withUnsafeMutableBufferPointer { c in
                    EVP_EncryptUpdate(context, c.baseAddress! + total, &written, p.baseAddress! + offset, Int32(piece))
                }
            }
            guard done == 1 else { throw Diagnostic.runtime(.cryptoFailed, "EVP_EncryptUpdate") }
            total += Int(written)
            offset += piece
        }
        let finished = ciphertext.withUnsafeMutableBufferPointer { c in EVP_EncryptFinal_ex(context, c.baseAddress! + total, &written) }
        guard finished == 1 else { throw Diagnostic.runtime(.cryptoFailed, "EVP_EncryptFinal_ex") }
        total += Int(written)
        var tag = [UInt8](repeating: 0, count: tagLength)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1 else {
            throw Diagnostic.runtime(.cryptoFailed, "EVP_CTRL_GCM_GET_TAG")
        }
        out.reserveCapacity(header.count + total + tagLength)
        out += ciphertext[..<total]
        out += tag
        return out
    }

    /// The plaintext, only when the tag checks: a wrong key is named by its id before any
    /// decryption, and a changed byte is `tampered`; nothing unauthenticated is returned.
    public static func open(_ sealed: [UInt8], with key: EncryptionKey) throws(OpenError) -> [UInt8] {
        guard isSealed(sealed) else { throw .notSealed }
        guard sealed.count > magic.count else { throw .truncated }
        let fileVersion = sealed[magic.count]
        guard fileVersion <= version else { throw .newerVersion(fileVersion) }
        guard sealed.count >= headerLength + tagLength else { throw .truncated }
        let fileKeyID = Array(sealed[(magic.count + 1)..<(magic.count + 1 + keyIDLength)])
        guard fileKeyID == key.id else { throw .wrongKey(fileKeyID: hex(fileKeyID), keyID: key.idHex) }
        let header = Array(sealed[..<headerLength])
        let nonce = Array(header.suffix(nonceLength))
        let ciphertextEnd = sealed.count - tagLength
        var tag = Array(sealed[ciphertextEnd...])
        guard let context = EVP_CIPHER_CTX_new() else { throw .tampered }
        defer { EVP_CIPHER_CTX_free(context) }
        let count = ciphertextEnd - headerLength
        var plaintext = [UInt8](repeating: 0, count: count + 16)
        var written: Int32 = 0
        var total = 0
        let ok = key.bytes.withUnsafeBufferPointer { keyBytes in
            EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
                && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceLength), nil) == 1
                && EVP_DecryptInit_ex(context, nil, nil, keyBytes.baseAddress, nonce) == 1
                && EVP_DecryptUpdate(context, nil, &written, header, Int32(header.count)) == 1
        }
        guard ok else { throw .tampered }
        var offset = 0
        while offset < count {
            let piece = min(count - offset, 1 << 30)
            let done = sealed.withUnsafeBufferPointer { s in
                plaintext.withUnsafeMutableBufferPointer { p in
                    EVP_DecryptUpdate(context, p.baseAddress! + total, &written, s.baseAddress! + headerLength + offset, Int32(piece))
                }
            }
            guard done == 1 else { throw .tampered }
            total += Int(written)
            offset += piece
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 else { throw .tampered }
        let verified = plaintext.withUnsafeMutableBufferPointer { p in EVP_DecryptFinal_ex(context, p.baseAddress! + total, &written) }
        guard verified == 1 else { throw .tampered }
        total += Int(written)
        return Array(plaintext[..<total])
    }

    /// Opens a sealed file's bytes, or throws the diagnostic that names `path` and why.
    static func open(_ sealed: [UInt8], path: String, with key: EncryptionKey) throws -> [UInt8] {
        do { return try open(sealed, with: key) } catch {
            switch error {
            case .wrongKey(let fileKeyID, let keyID):
                throw Diagnostic(.runtime, .sealedFileWrongKey, [path, fileKeyID, key.file, keyID])
            case .tampered, .truncated:
                throw Diagnostic.runtime(.sealedFileDamaged, path, error.description)
            case .notSealed, .newerVersion:
                throw Diagnostic.runtime(.sealedFileUnreadable, path, error.description)
            }
        }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
    }

    static func unhex(_ text: some Collection<UInt8>) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var high: UInt8?
        for c in text {
            guard let n = nibble(c) else { return nil }
            if let h = high { out.append(h << 4 | n); high = nil } else { high = n }
        }
        return high == nil ? out : nil
    }
}

/// libcrypto, initialised once without its exit-time cleanup. The cleanup frees the
/// library's locks when the process exits, and an import's file hash, which runs on
/// another core and may still run then (`BackgroundWork`), crashed on them (SIGSEGV in
/// `pthread_rwlock_*`) or waited on them forever. Called before the first use.
public enum CryptoLibrary {
    private static let initialised: Bool = rapport_crypto_init_without_cleanup() == 1

    public static func initialise() { _ = initialised }
}
