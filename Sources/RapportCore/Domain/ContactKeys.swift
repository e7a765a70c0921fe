import Foundation

/// The comparable forms of a customer's phone and email, one definition for everything
/// that asks "is this the same person's number or address": duplicate detection, an
/// import's `update by phone|email`, and the warnings an import gives about duplicates.
public enum ContactKeys {
    /// The country code a phone number without one is taken to be in (mainland China:
    /// the seeds' customers). A number written with `+` or `00` keeps its own.
    public static let defaultCountryCode = "86"

    /// The digits of a phone number with its country code, or nil when it has no digits.
    /// `138 0013 8000`, `+86 138-0013-8000`, `0086 13800138000` and `(86) 13800138000`
    /// all give `8613800138000`; a national trunk `0` after no country code is dropped
    /// (`010 6552 9988` → `861065529988`).
    public static func phone(_ text: String) -> String? {
        // On UTF-8 bytes: an ASCII digit's byte is never part of another character.
        var text = text
        return text.withUTF8 { bytes -> String? in
            var start = 0
            while start < bytes.count, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
            var count = 0
            for b in bytes[start...] where b >= 48 && b <= 57 { count += 1 }
            guard count > 0 else { return nil }
            var skipped = 0
            var prefix: [UInt8] = []
            if bytes[start] == 43 {
                // `+`: the number has its country code.
            } else if Self.digit(0, from: start, of: bytes) == 48, Self.digit(1, from: start, of: bytes) == 48 {
                skipped = 2
            } else if Self.digit(0, from: start, of: bytes) == 56, Self.digit(1, from: start, of: bytes) == 54, count > 11 {
                // Already with the default country code.
            } else {
                if Self.digit(0, from: start, of: bytes) == 48 { skipped = 1 }
                prefix = Array(defaultCountryCode.utf8)
            }
            return String(unsafeUninitializedCapacity: prefix.count + count - skipped) { out in
                var n = 0
                for b in prefix { out[n] = b; n += 1 }
                var seen = 0
                for b in bytes[start...] where b >= 48 && b <= 57 {
                    seen += 1
                    if seen > skipped { out[n] = b; n += 1 }
                }
                return n
            }
        }
    }

    /// Whether `phone(text)` has a number: an ASCII digit anywhere (leading blanks are not
    /// digits). Asked of every imported phone, it makes no string.
    public static func hasDigit(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.contains { $0 >= 48 && $0 <= 57 } }
    }

    /// The `index`th ASCII digit of `bytes` from `start`, nil when there are fewer.
    private static func digit(_ index: Int, from start: Int, of bytes: UnsafeBufferPointer<UInt8>) -> UInt8? {
        var seen = 0
        for b in bytes[start...] where b >= 48 && b <= 57 {
            if seen == index { return b }
            seen += 1
        }
        return nil
    }

    /// An email address trimmed and case-folded (`Wang.Fang@Example.COM ` →
    /// `wang.fang@example.com`), or nil when it is empty. Addresses differ only by case in
    /// practice; the local part's dots and `+tags` are kept (only some providers ignore them).
    public static func email(_ text: String) -> String? {
        var text = text
        var unchanged = false
        if let ascii = text.withUTF8({ asciiEmail($0, unchanged: &unchanged) }) { return unchanged ? text : ascii }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed.lowercased()
    }

    /// `email` for ASCII text, byte by byte: space and tab are the only ASCII characters of
    /// Foundation's `.whitespaces`, and ASCII case-folding is `lowercased()`'s on ASCII.
    /// The outer nil when a byte is not ASCII (Foundation decides then). `unchanged` is set
    /// (and nothing made) when the text is its own key, as nearly every stored address is:
    /// the caller hands back the text itself, not a copy of it (an allocation per customer
    /// in a million-row import).
    private static func asciiEmail(_ bytes: UnsafeBufferPointer<UInt8>, unchanged: inout Bool) -> String?? {
        var hasUpper = false
        for b in bytes {
            if b >= 0x80 { return .none }
            if b >= 65 && b <= 90 { hasUpper = true }
        }
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        guard start < end else { return .some(nil) }
        let kept = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard hasUpper else {
            if start == 0, end == bytes.count {
                unchanged = true
                return .some(nil)
            }
            return .some(String(decoding: kept, as: UTF8.self))
        }
        return .some(String(unsafeUninitializedCapacity: kept.count) { out in
            for (i, b) in kept.enumerated() { out[i] = b >= 65 && b <= 90 ? b + 32 : b }
            return kept.count
        })
    }
}
