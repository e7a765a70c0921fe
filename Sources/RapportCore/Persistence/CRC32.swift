import CChecksum

/// CRC-32 (IEEE 802.3, as zlib's crc32): `"123456789"` gives 0xCBF43926.
public enum CRC32 {
    /// Whether this processor runs the carry-less-multiplication CRC (Sources/CChecksum:
    /// x86-64 with PCLMULQDQ and SSE4.1, about 16 GB/s against the tables' 2): asked once.
    static let carrylessAvailable: Bool = rapport_crc32_clmul_available() != 0

    /// Slicing-by-16 tables: tables[k][b] is the CRC of byte b followed by k zero bytes
    /// (16 KB: sixteen bytes a step, against eight, took about a third off a snapshot's checksum).
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 16 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for k in 1..<16 {
            for i in 0..<256 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()

    public static func checksum<C: Collection>(_ bytes: C, seed: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        if let fast = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), seed: seed) }) { return fast }
        var c = ~seed
        for b in bytes { c = tables[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard carrylessAvailable, bytes.count >= 64, let base = bytes.baseAddress else {
            return tableChecksum(bytes, seed: seed)
        }
        // The C function takes whole 16-byte blocks; the tables finish the rest.
        var consumed = 0
        let c = rapport_crc32_clmul(~seed, base.assumingMemoryBound(to: UInt8.self), bytes.count, &consumed)
        return tableChecksum(UnsafeRawBufferPointer(rebasing: bytes[consumed...]), seed: ~c)
    }

    /// The table-driven CRC: the fallback on other processors, short pieces and tails,
    /// and what the tests hold the carry-less version to.
    static func tableChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var c = ~seed
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while i + 16 <= n {
                // Sixteen bytes in two loads, least significant first whatever the machine's order.
                let first = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let second = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                let a = c ^ UInt32(truncatingIfNeeded: first), b = UInt32(truncatingIfNeeded: first >> 32)
                let d = UInt32(truncatingIfNeeded: second), e = UInt32(truncatingIfNeeded: second >> 32)
                c = t[15 * 256 + Int(a & 0xFF)] ^ t[14 * 256 + Int((a >> 8) & 0xFF)]
                    ^ t[13 * 256 + Int((a >> 16) & 0xFF)] ^ t[12 * 256 + Int(a >> 24)]
                    ^ t[11 * 256 + Int(b & 0xFF)] ^ t[10 * 256 + Int((b >> 8) & 0xFF)]
                    ^ t[9 * 256 + Int((b >> 16) & 0xFF)] ^ t[8 * 256 + Int(b >> 24)]
                    ^ t[7 * 256 + Int(d & 0xFF)] ^ t[6 * 256 + Int((d >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((d >> 16) & 0xFF)] ^ t[4 * 256 + Int(d >> 24)]
                    ^ t[3 * 256 + Int(e & 0xFF)] ^ t[2 * 256 + Int((e >> 8) & 0xFF)]
                    ^ t[256 + Int((e >> 16) & 0xFF)] ^ t[Int(e >> 24)]
                i += 16
            }
            while i + 8 <= n {
                // Eight bytes in one load, least significant first whatever the machine's order.
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let lo = c ^ UInt32(truncatingIfNeeded: word), hi = UInt32(truncatingIfNeeded: word >> 32)
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }
}

extension CRC32 {
    /// The CRC of A followed by B, from A's CRC, B's CRC and B's length (zlib's
    /// crc32_combine, as zlib 1.2.12 computes it: A's CRC times x^(8 * length) modulo the
    /// polynomial, from a table of x^(2^k)): lets pieces of one file be checksummed on
    /// different cores. About a thousand bit steps and no allocation, so joining the
    /// checksums of thousands of small pieces costs nothing beside writing them.
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        guard secondLength > 0 else { return first }
        return multiplyModP(xToThe8nModP(secondLength), first) ^ second
    }

    /// a times b modulo the polynomial, both reflected (bit 31 is x^0). `a` is never 0 here.
    private static func multiplyModP(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var m: UInt32 = 1 << 31, p: UInt32 = 0, b = b
        while true {
            if a & m != 0 {
                p ^= b
                if a & (m &- 1) == 0 { break }
            }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0xEDB8_8320 : b >> 1
        }
        return p
    }

    /// x^(2^k) modulo the polynomial for k in 0..<32 (x^(2^k) repeats with a period dividing 2^32 - 1).
    private static let powersOfX: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 32)
        var p: UInt32 = 1 << 30 // x^1
        table[0] = p
        for k in 1..<32 {
            p = multiplyModP(p, p)
            table[k] = p
        }
        return table
    }()

    /// x^(8n) modulo the polynomial: n bytes of zeros appended.
    private static func xToThe8nModP(_ n: Int) -> UInt32 {
        var p: UInt32 = 1 << 31 // x^0
        var n = n, k = 3
        while n != 0 {
            if n & 1 != 0 { p = multiplyModP(powersOfX[k & 31], p) }
            n >>= 1
            k += 1
        }
        return p
    }
}
