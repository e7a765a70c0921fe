import XCTest
@testable import RapportCore

/// Consent, quiet hours, the weekly cap and the `every` window: the rules a campaign's
/// send obeys.
final class CareRulesTests: XCTestCase {
    func decide(_ send: SendChannel, preferred: String? = nil, optOut: [String] = [],
                email: String? = "wang@example.com", phone: String? = "13800000000") -> Consent.Decision {
        Consent.decide(send, preferredChannel: preferred, optOut: optOut, email: email, phone: phone)
    }

    func testSkipReasonsReadAsTheSummaryPrintsThem() {
        XCTAssertEqual(SkipReason.allCases.map(\.label),
                       ["touched within the every window", "opted out", "no address", "over the weekly cap"])
    }

    func testAChannelGoesToItsAddress() {
        XCTAssertEqual(decide(.channel("sms")), .send(channel: "sms", to: "13800000000"))
        XCTAssertEqual(decide(.channel("phone")), .send(channel: "phone", to: "13800000000"))
        XCTAssertEqual(decide(.channel("wechat")), .send(channel: "wechat", to: "13800000000"))
        XCTAssertEqual(decide(.channel("email")), .send(channel: "email", to: "wang@example.com"))
        XCTAssertEqual(decide(.channel("email"), email: nil), .skip(.noAddress))
        XCTAssertEqual(decide(.channel("sms"), phone: "  "), .skip(.noAddress), "a blank phone is no address")
        XCTAssertEqual(decide(.channel("sms"), phone: " 138 "), .send(channel: "sms", to: "138"))
    }

    /// An address is trimmed of spaces and newlines of any script, and only those: the
    /// fast path for addresses that need no trimming must agree with Foundation's trim.
    func testAnAddressIsTrimmedOfWhitespaceOnly() {
        for (raw, expected) in [("13800000000", "13800000000"), ("+86 138 0000 0000", "+86 138 0000 0000"), ("\t138\n", "138"),
                                ("\u{3000}138\u{3000}", "138"), ("\u{A0}wang@example.com", "wang@example.com"), ("138\u{2028}", "138"),
                                ("王芳@例子.中国", "王芳@例子.中国"), ("(138)", "(138)"), ("~", "~")] {
            XCTAssertEqual(Consent.address(for: "sms", email: nil, phone: raw), expected, raw.debugDescription)
            XCTAssertEqual(Consent.address(for: "email", email: raw, phone: nil), expected, raw.debugDescription)
        }
        for blank in ["", " ", "\n\t", "\u{3000}"] {
            XCTAssertNil(Consent.address(for: "sms", email: nil, phone: blank), blank.debugDescription)
        }
    }

    func testOptOutRefusesTheChannelOrEverything() {
        XCTAssertEqual(decide(.channel("sms"), optOut: ["sms"]), .skip(.optedOut))
        XCTAssertEqual(decide(.channel("sms"), optOut: ["SMS"]), .skip(.optedOut), "any case")
        XCTAssertEqual(decide(.channel("phone"), optOut: ["call"]), .skip(.optedOut), "aliases")
        XCTAssertEqual(decide(.channel("email"), optOut: ["sms"]), .send(channel: "email", to: "wang@example.com"))
        XCTAssertEqual(decide(.channel("email"), optOut: ["all"]), .skip(.optedOut))
        XCTAssertEqual(decide(.preferred, optOut: ["all"], email: nil, phone: nil), .skip(.optedOut), "all wins over no address")
    }

    func testPreferredTakesThePreferenceThenSmsThenEmail() {
        XCTAssertEqual(decide(.preferred, preferred: "wechat"), .send(channel: "wechat", to: "13800000000"))
        XCTAssertEqual(decide(.preferred, preferred: "Email"), .send(channel: "email", to: "wang@example.com"))
        XCTAssertEqual(decide(.preferred), .send(channel: "sms", to: "13800000000"), "no preference: sms")
        XCTAssertEqual(decide(.preferred, phone: nil), .send(channel: "email", to: "wang@example.com"), "no phone: email")
        XCTAssertEqual(decide(.preferred, preferred: "visit"), .send(channel: "sms", to: "13800000000"), "a visit is no message")
        XCTAssertEqual(decide(.preferred, preferred: "email", email: nil), .send(channel: "sms", to: "13800000000"),
                       "a preference without its address falls back")
        XCTAssertEqual(decide(.preferred, preferred: "wechat", optOut: ["wechat", "sms"]), .send(channel: "email", to: "wang@example.com"))
        XCTAssertEqual(decide(.preferred, optOut: ["sms"], email: nil), .skip(.optedOut), "reachable only by a refused channel")
        XCTAssertEqual(decide(.preferred, email: nil, phone: nil), .skip(.noAddress))
        XCTAssertEqual(decide(.preferred, optOut: ["email"], email: nil, phone: nil), .skip(.noAddress))
    }

    func testSendResolvesMessageChannelsAndRefusesTheRest() throws {
        XCTAssertEqual(try SendChannel.resolve("SMS", at: nil), .channel("sms"))
        XCTAssertEqual(try SendChannel.resolve("call", at: nil), .channel("phone"))
        XCTAssertEqual(try SendChannel.resolve("微信", at: nil), .channel("wechat"))
        XCTAssertEqual(try SendChannel.resolve("Preferred", at: nil), .preferred)
        for (word, suggestion) in [("visit", nil), ("smss", "sms"), ("emial", "email")] as [(String, String?)] {
            XCTAssertThrowsError(try SendChannel.resolve(word, at: nil), word) { error in
                XCTAssertEqual((error as? Diagnostic)?.id, .notAMessageChannel)
                XCTAssertEqual((error as? Diagnostic)?.suggestion, suggestion)
            }
        }
    }

    // MARK: Quiet hours

    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    func instant(_ text: String) -> Int64 { Clock.parseISO8601(text, defaultZone: .gmt)! }

    func testQuietHoursAcrossMidnightHoldAMessageUntilTheyEnd() {
        let quiet = QuietHours(start: 21 * 3600, end: 8 * 3600)
        func next(_ t: String) -> Int64 { quiet.nextAllowed(after: instant(t), timeZone: shanghai) }
        XCTAssertEqual(next("2026-11-01T20:59:59+08:00"), instant("2026-11-01T20:59:59+08:00"), "before the start: stays")
        XCTAssertEqual(next("2026-11-01T21:00:00+08:00"), instant("2026-11-02T08:00:00+08:00"), "the start is quiet")
        XCTAssertEqual(next("2026-11-01T23:30:00+08:00"), instant("2026-11-02T08:00:00+08:00"))
        XCTAssertEqual(next("2026-11-02T03:00:00+08:00"), instant("2026-11-02T08:00:00+08:00"), "after midnight: today's end")
        XCTAssertEqual(next("2026-11-02T08:00:00+08:00"), instant("2026-11-02T08:00:00+08:00"), "the end is allowed")
        XCTAssertEqual(next("2026-12-31T22:00:00+08:00"), instant("2027-01-01T08:00:00+08:00"), "across the year's end")
        XCTAssertEqual(quiet.nextAllowed(after: instant("2026-11-01T13:30:00Z"), timeZone: shanghai),
                       instant("2026-11-02T00:00:00Z"), "21:30 in Shanghai waits for 08:00 there")
        XCTAssertEqual(quiet.nextAllowed(after: instant("2026-11-01T13:30:00Z"), timeZone: .gmt),
                       instant("2026-11-01T13:30:00Z"), "13:30 in UTC is daytime")
    }

    func testQuietHoursWithinOneDayAndNone() {
        let lunch = QuietHours(start: 12 * 3600, end: 13 * 3600 + 30 * 60)
        XCTAssertEqual(lunch.nextAllowed(after: instant("2026-11-01T12:10:00+08:00"), timeZone: shanghai), instant("2026-11-01T13:30:00+08:00"))
        XCTAssertEqual(lunch.nextAllowed(after: instant("2026-11-01T11:59:00+08:00"), timeZone: shanghai), instant("2026-11-01T11:59:00+08:00"))
        XCTAssertEqual(lunch.nextAllowed(after: instant("2026-11-01T22:00:00+08:00"), timeZone: shanghai), instant("2026-11-01T22:00:00+08:00"))
        let none = QuietHours(start: 8 * 3600, end: 8 * 3600)
        for t in ["2026-11-01T08:00:00+08:00", "2026-11-01T23:00:00+08:00", "2026-11-01T03:00:00+08:00"] {
            XCTAssertEqual(none.nextAllowed(after: instant(t), timeZone: shanghai), instant(t), "equal bounds: no quiet hours")
        }
    }

    /// The end is a wall-clock time: on the night clocks go forward, 08:00 is seven hours
    /// after 00:00, not eight.
    func testQuietHoursEndAtTheWallClockTimeOverAClockChange() {
        let newYork = TimeZone(identifier: "America/New_York")!
        let quiet = QuietHours(start: 21 * 3600, end: 8 * 3600)
        XCTAssertEqual(quiet.nextAllowed(after: instant("2026-03-07T23:00:00-05:00"), timeZone: newYork),
                       instant("2026-03-08T08:00:00-04:00"))
        XCTAssertEqual(quiet.nextAllowed(after: instant("2026-10-31T22:00:00-04:00"), timeZone: newYork),
                       instant("2026-11-01T08:00:00-05:00"))
        let endsInTheGap = QuietHours(start: 1 * 3600, end: 2 * 3600 + 30 * 60)
        let resumed = endsInTheGap.nextAllowed(after: instant("2026-03-08T01:30:00-05:00"), timeZone: newYork)
        XCTAssertTrue(resumed >= instant("2026-03-08T03:00:00-04:00") && resumed <= instant("2026-03-08T03:30:00-04:00"),
                      "02:30 does not exist that night; the message waits until just after the gap")
    }

    func testQuietHoursComeFromThePolicy() {
        XCTAssertEqual(QuietHours(policy: .defaults), QuietHours(start: 21 * 3600, end: 8 * 3600))
        var policy = Policy()
        policy.set("campaign.quietHours.start", to: 22 * 3600 + 30 * 60)
        XCTAssertEqual(QuietHours(policy: policy).start, 22 * 3600 + 30 * 60)
        XCTAssertEqual(WeeklyCap(policy: .defaults).cap, 2)
    }

    // MARK: Weekly cap and every

    func testTheWeeklyCapCountsTheSevenDaysUpToTheMessage() {
        let now = instant("2026-11-08T10:00:00Z")
        let day: Int64 = 86_400
        let cap = WeeklyCap(cap: 2)
        XCTAssertFalse(cap.isReached(sentAt: [], sending: now))
        XCTAssertFalse(cap.isReached(sentAt: [now - day], sending: now))
        XCTAssertTrue(cap.isReached(sentAt: [now - day, now - 6 * day], sending: now))
        XCTAssertFalse(cap.isReached(sentAt: [now - day, now - 7 * day], sending: now), "exactly 7 days ago is out of the window")
        XCTAssertTrue(cap.isReached(sentAt: [now - day, now - 7 * day + 1], sending: now))
        XCTAssertFalse(cap.isReached(sentAt: [now - day, now + 60], sending: now), "a later message does not count")
        XCTAssertFalse(WeeklyCap(cap: 0).isReached(sentAt: Array(repeating: now, count: 50), sending: now), "0 is no cap")
        XCTAssertTrue(WeeklyCap(cap: 1).isReached(sentAt: [now], sending: now))
    }

    func testEveryWindow() {
        let now: Int64 = 1_800_000_000
        XCTAssertFalse(Cadence.touchedWithin(lastTouch: nil, now: now, every: 365 * 86_400))
        XCTAssertTrue(Cadence.touchedWithin(lastTouch: now - 364 * 86_400, now: now, every: 365 * 86_400))
        XCTAssertFalse(Cadence.touchedWithin(lastTouch: now - 365 * 86_400, now: now, every: 365 * 86_400))
        XCTAssertTrue(Cadence.touchedWithin(lastTouch: now, now: now, every: 1), "run twice in a row: the second skips")
    }
}
