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
        let trimmed = text.utf8.drop { $0 == 32 || $0 == 9 }
        var digits = String(decoding: trimmed.filter { $0 >= 48 && $0 <= 57 }, as: UTF8.self)
        guard !digits.isEmpty else { return nil }
        if trimmed.first == 43 { return digits }
        if digits.hasPrefix("00") { return String(digits.dropFirst(2)) }
        if digits.hasPrefix(defaultCountryCode) && digits.count > 11 { return digits }
        if digits.hasPrefix("0") { digits.removeFirst() }
        return defaultCountryCode + digits
    }

    /// An email address trimmed and case-folded (`Wang.Fang@Example.COM ` →
    /// `wang.fang@example.com`), or nil when it is empty. Addresses differ only by case in
    /// practice; the local part's dots and `+tags` are kept (only some providers ignore them).
    public static func email(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed.lowercased()
    }
}
