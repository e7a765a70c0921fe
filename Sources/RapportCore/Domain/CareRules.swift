import Foundation

// The rules a care campaign obeys before a message goes out (docs/campaigns.md, "Consent
// and quiet hours"): whom it may reach and by what, when, and how often. Pure functions;
// the campaign runner reads the customer's fields and the policy and calls them.

/// Why a targeted customer gets no message from a send, as the run's summary counts it.
/// The order is the summary's.
public enum SkipReason: String, CaseIterable, Sendable {
    /// The campaign touched the customer less than its `every` ago.
    case touchedWithinEvery = "touched within the every window"
    /// `optOut` refuses the channel (or holds `all`).
    case optedOut = "opted out"
    /// The customer has no phone or email for the channel.
    case noAddress = "no address"
    /// The customer already had `campaign.weeklyCap` messages in the last 7 days.
    case overWeeklyCap = "over the weekly cap"

    /// The summary's words: "opted out", "no address", ...
    public var label: String { rawValue }
}

/// What `send` names: a channel, or the customer's own preference.
public enum SendChannel: Equatable, Sendable {
    case channel(String)
    case preferred

    /// The channels a message can go by, in their stored spelling. A visit is a contact
    /// (`log contact via visit`), never a message: it has no address.
    public static let messageChannels = ["sms", "email", "phone", "wechat"]

    /// What `send preferred` tries after the customer's `preferredChannel`, in order.
    public static let fallbackChannels = ["sms", "email"]

    /// The word after `send`: `preferred` or a message channel, in any case, aliases
    /// included (`call` is phone, `微信` wechat). Anything else, `visit` too, is a usage
    /// error at `span` with the nearest word. The campaign parser calls this.
    public static func resolve(_ word: String, at span: SourceSpan?) throws -> SendChannel {
        if word.lowercased() == "preferred" { return .preferred }
        if let channel = Vocabulary.channel.canonical(word), messageChannels.contains(channel) { return .channel(channel) }
        let words = messageChannels + ["preferred"]
        throw Diagnostic.usage(.notAMessageChannel, word, words.joined(separator: ", "), at: span,
                               suggestion: nearestName(to: word, among: words))
    }
}

/// Whom a send reaches and by what: the customer's consent and addresses.
public enum Consent {
    /// The channel and address a message goes by, or why it does not go.
    public enum Decision: Equatable, Sendable {
        case send(channel: String, to: String)
        case skip(SkipReason)
    }

    /// The customer's address on a message channel: the phone for sms, phone and wechat
    /// (WeChat finds an account by its phone number), the email for email; nil when the
    /// field is missing or blank.
    public static func address(for channel: String, email: String?, phone: String?) -> String? {
        let raw: String?
        switch channel {
        case "email": raw = email
        case "sms", "phone", "wechat": raw = phone
        default: raw = nil
        }
        guard let raw else { return nil }
        // Most addresses start and end with a visible ASCII character: nothing to trim, and
        // Foundation's trimming cost more than the rest of a campaign's message.
        if let first = raw.utf8.first, let last = raw.utf8.last, (33...126).contains(first), (33...126).contains(last) { return raw }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Whether `optOut` refuses `channel`: it holds the channel or `all` (any case, aliases too).
    public static func refuses(_ optOut: [String], _ channel: String) -> Bool {
        optOut.contains { item in
            let word = Vocabulary.optOut.canonical(item)
            return word == Vocabulary.optOutAll || word == channel
        }
    }

    /// The channel and address for one customer and one `send`.
    ///
    /// - `send CHANNEL`: that channel.
    /// - `send preferred`: the customer's `preferredChannel` when it is a message channel,
    ///   then sms, then email; the first the customer has not refused and has an address for.
    /// - Skipped as `optedOut` when `optOut` holds `all`, or when some channel tried had an
    ///   address but was refused; otherwise as `noAddress`.
    public static func decide(_ send: SendChannel, preferredChannel: String?, optOut: [String],
                              email: String?, phone: String?) -> Decision {
        if refuses(optOut, Vocabulary.optOutAll) { return .skip(.optedOut) }
        var candidates: [String]
        switch send {
        case .channel(let channel):
            candidates = [Vocabulary.channel.canonical(channel) ?? channel]
        case .preferred:
            candidates = []
            if let preferred = preferredChannel.flatMap(Vocabulary.channel.canonical),
               SendChannel.messageChannels.contains(preferred) {
                candidates.append(preferred)
            }
            for c in SendChannel.fallbackChannels where !candidates.contains(c) { candidates.append(c) }
        }
        var refusedReachable = false
        for channel in candidates {
            guard let to = address(for: channel, email: email, phone: phone) else { continue }
            if refuses(optOut, channel) { refusedReachable = true; continue }
            return .send(channel: channel, to: to)
        }
        return .skip(refusedReachable ? .optedOut : .noAddress)
    }
}

/// The hours of the day in which no message is stamped (policy `campaign.quietHours.start`
/// and `.end`, seconds after midnight in the store's time zone). The quiet time runs from
/// `start` up to, not including, `end`, across midnight when `end` is earlier; equal
/// bounds mean no quiet hours.
public struct QuietHours: Equatable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    public init(policy: Policy) {
        self.init(start: Int(policy.seconds("campaign.quietHours.start")), end: Int(policy.seconds("campaign.quietHours.end")))
    }

    /// Whether a time of day (seconds after midnight) lies in the quiet hours.
    public func isQuiet(secondOfDay t: Int) -> Bool {
        if start == end { return false }
        return start < end ? (t >= start && t < end) : (t >= start || t < end)
    }

    /// `instant` itself when it lies outside the quiet hours in `timeZone`; otherwise the
    /// first instant the quiet hours end (the message waits for it).
    public func nextAllowed(after instant: Int64, timeZone: TimeZone) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: TimeInterval(instant))
        let local = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let secondOfDay = (local.hour ?? 0) * 3_600 + (local.minute ?? 0) * 60 + (local.second ?? 0)
        guard isQuiet(secondOfDay: secondOfDay) else { return instant }
        // Past the start of a quiet night that crosses midnight, the quiet ends tomorrow.
        let endsTomorrow = start > end && secondOfDay >= start
        var day = calendar.startOfDay(for: date)
        if endsTomorrow, let next = calendar.date(byAdding: .day, value: 1, to: day) { day = next }
        var target = calendar.dateComponents([.year, .month, .day], from: day)
        (target.hour, target.minute, target.second) = (end / 3_600, end % 3_600 / 60, end % 60)
        // A wall time skipped by a clock change resolves to the first time after the gap.
        guard let end = calendar.date(from: target) else { return instant }
        return max(instant, Int64(end.timeIntervalSince1970.rounded(.up)))
    }
}

/// At most `cap` messages per customer in any 7 days, all campaigns together (policy
/// `campaign.weeklyCap`; 0 means no cap).
public struct WeeklyCap: Equatable, Sendable {
    /// The window the cap counts over: the 7 × 24 hours up to the message.
    public static let window: Int64 = 7 * 86_400
    public var cap: Int

    public init(cap: Int) { self.cap = cap }

    public init(policy: Policy) { self.init(cap: Int(policy["campaign.weeklyCap"])) }

    /// Whether one more message at `instant` would pass the cap, given the times (`at`) of
    /// the customer's earlier messages: those after `instant` − 7 days and not after `instant`
    /// count.
    public func isReached(sentAt earlier: some Sequence<Int64>, sending instant: Int64) -> Bool {
        guard cap > 0 else { return false }
        var count = 0
        for t in earlier where t > instant - WeeklyCap.window && t <= instant {
            count += 1
            if count >= cap { return true }
        }
        return false
    }
}

/// `every D`: a customer the campaign touched less than D ago is skipped.
public enum Cadence {
    /// Whether the campaign's last touch of the customer (nil: never) lies less than
    /// `every` seconds before `now`.
    public static func touchedWithin(lastTouch: Int64?, now: Int64, every: Int64) -> Bool {
        guard let lastTouch else { return false }
        return now - lastTouch < every
    }
}
