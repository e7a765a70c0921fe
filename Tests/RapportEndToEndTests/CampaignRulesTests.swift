import Foundation
import XCTest
import RapportTestSupport

/// The rules a campaign run obeys, through the real binary with `--now` at a time of day:
/// holiday windows, the preferred channel and opt-outs, quiet hours, the weekly cap across
/// campaigns and days, and saved segments as targets (docs/campaigns.md).
final class CampaignRulesTests: XCTestCase {
    var store: TemporaryStore!

    override func setUpWithError() throws {
        store = TemporaryStore("campaign-rules")
        let r = store.run([
            "-c", #"add customer id: C1, name: "王芳", phone: "13800000001", email: "wf@example.com", preferredChannel: email"#,
            "-c", #"add customer id: C2, name: "Anna Smith", phone: "+44 20 7946 0000", preferredChannel: email"#,
            "-c", #"add customer id: C3, name: "Bob Lee", email: "bob@example.com", optOut: (email)"#,
            "-c", #"add customer id: C4, name: "Dan Wu", phone: "555", email: "dan@example.com", optOut: all"#,
            "-c", #"add customer id: C5, name: "Eve Ng""#,
            "-c", #"add customer id: C6, name: "Kai Ma", phone: "556", email: "kai@example.com", optOut: (sms), preferredChannel: visit"#,
        ], now: "2026-03-01T09:00:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDown() { store = nil }

    func script(_ text: String, at now: String, extra: [String] = []) throws -> RapportRunner.Result {
        let file = try store.file("care.rapport", text + "\n")
        return store.run(["--format", "table"] + extra + [file], now: now)
    }

    func csv(_ command: String, at now: String = "2026-03-01T09:00:00Z") -> String {
        let r = store.run(["--format", "csv", "-c", command], now: now)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    static let springFestival = """
    campaign "spring festival"
      target customers where phone is not null
      when holiday "春节" within 7d
      every 1d
      send sms "{name|first}，{holiday}快乐！{holidayDate}"
    end
    """

    func testAHolidayCampaignRunsFromItsWindowsFirstDayToTheHolidayAndSaysWhyNotOtherwise() throws {
        let before = try script(Self.springFestival, at: "2027-01-29T09:00:00Z")
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertEqual(before.stdout, "spring festival: not today (春节 is 2027-02-06, runs from 2027-01-30)\n")
        XCTAssertEqual(csv("count messages"), "count\n0\n")
        XCTAssertEqual(csv("count runs"), "count\n0\n")

        let first = try script(Self.springFestival, at: "2027-01-30T09:00:00Z")
        XCTAssertEqual(first.stdout, "spring festival: targeted 4, skipped 2 (opted out: 2), sent 2\n")
        XCTAssertEqual(csv("find messages where customer = C1 show text"), "text\n王芳，春节快乐！2027-02-06\n")
        let onTheDay = try script(Self.springFestival, at: "2027-02-06T09:00:00Z")
        XCTAssertEqual(onTheDay.stdout, "spring festival: targeted 4, skipped 2 (opted out: 2), sent 2\n")
        let after = try script(Self.springFestival, at: "2027-02-07T09:00:00Z")
        XCTAssertEqual(after.stdout, "spring festival: not today (春节 is 2028-01-26, runs from 2028-01-19)\n")
        XCTAssertEqual(csv("count messages", at: "2027-02-08T09:00:00Z"), "count\n4\n")
    }

    func testTheWindowFollowsTheSessionsTimeZoneAndCrossesTheYear() throws {
        // 20:00 in UTC on the 29th is already the 30th in Shanghai.
        let shanghai = try script(Self.springFestival, at: "2027-01-29T20:00:00Z", extra: ["--timezone", "Asia/Shanghai"])
        XCTAssertTrue(shanghai.stdout.hasPrefix("spring festival: targeted 4"), shanghai.stdout + shanghai.stderr)

        let newYear = Self.springFestival.replacingOccurrences(of: "春节", with: "元旦").replacingOccurrences(of: "spring festival", with: "new year")
        XCTAssertEqual(try script(newYear, at: "2026-12-24T09:00:00Z").stdout, "new year: not today (元旦 is 2027-01-01, runs from 2026-12-25)\n")
        XCTAssertEqual(try script(newYear, at: "2026-12-28T09:00:00Z").stdout, "new year: targeted 4, skipped 2 (opted out: 2), sent 2\n")
        XCTAssertEqual(csv("find messages where customer = C2 and campaign = \"new year\" show text", at: "2026-12-28T10:00:00Z"), "text\nAnna，元旦快乐！2027-01-01\n")

        // Several when lines: any window that holds runs the block.
        let either = newYear.replacingOccurrences(of: "  every 1d", with: "  when holiday \"Mid-Autumn\" within 3d\n  every 1d")
        XCTAssertEqual(try script(either, at: "2027-09-13T09:00:00Z").stdout, "new year: targeted 4, skipped 2 (opted out: 2), sent 2\n")
        XCTAssertEqual(try script(either, at: "2027-09-16T09:00:00Z").stdout,
                       "new year: not today (元旦 is 2028-01-01, runs from 2027-12-25; 中秋 is 2028-10-03, runs from 2028-09-30)\n")
    }

    func testAnUnknownHolidayOrAHolidayFieldWithoutWhenIsAnErrorBeforeAnythingRuns() throws {
        let typo = try script(Self.springFestival.replacingOccurrences(of: "春节", with: "Sprng Festival"), at: "2027-01-30T09:00:00Z")
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("unknown holiday 'Sprng Festival'") && typo.stderr.contains("did you mean 'Spring Festival'?"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("care.rapport:3:16"), typo.stderr)
        let noWhen = try script(Self.springFestival.replacingOccurrences(of: "  when holiday \"春节\" within 7d\n", with: ""), at: "2027-01-30T09:00:00Z")
        XCTAssertEqual(noWhen.status, 2)
        XCTAssertTrue(noWhen.stderr.contains("unknown field 'holiday' in the template"), noWhen.stderr)
        XCTAssertEqual(csv("count messages"), "count\n0\n")
    }

    func testSendPreferredFallsBackAndOptOutsRefuseAChannelOrAll() throws {
        let block = """
        campaign "hello"
          target all customers
          send preferred "Hi {name|first}"
        end
        """
        let r = try script(block, at: "2026-03-01T09:00:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        // C3 refused the only channel it has an address for, C4 refused all; C5 has no address.
        XCTAssertEqual(r.stdout, "hello: targeted 6, skipped 3 (opted out: 2, no address: 1), sent 3\n")
        XCTAssertEqual(csv("find messages show customer, channel, to sort by customer"),
                       "customer,channel,to\nC1,email,wf@example.com\nC2,sms,+44 20 7946 0000\nC6,email,kai@example.com\n")

        let sms = try script(block.replacingOccurrences(of: "preferred", with: "sms").replacingOccurrences(of: "hello", with: "sms only"), at: "2026-03-01T09:00:00Z")
        XCTAssertEqual(sms.stdout, "sms only: targeted 6, skipped 4 (opted out: 2, no address: 2), sent 2\n")
        let visit = try script(block.replacingOccurrences(of: "preferred", with: "visit"), at: "2026-03-01T09:00:00Z")
        XCTAssertEqual(visit.status, 2)
        XCTAssertTrue(visit.stderr.contains("'visit' is not a channel a message can go by"), visit.stderr)
    }

    func testAMessageInsideQuietHoursWaitsForTheirEndAndLandsInThatDaysOutbox() throws {
        let block = """
        campaign "late"
          target customers where id in (C1, C2)
          send sms "Hi"
          log contact via sms "late greeting"
        end
        """
        // Three campaigns in a week here: the cap is not what this test is about.
        XCTAssertEqual(store.run(["-c", "set policy campaign.weeklyCap = 0"], now: "2026-03-01T09:00:00Z").status, 0)
        let r = try script(block, at: "2026-03-01T22:30:00Z")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("find messages show customer, at"), "customer,at\nC1,2026-03-02T08:00:00+00:00\nC2,2026-03-02T08:00:00+00:00\n")
        // The contact records when the run was made; the run too.
        XCTAssertEqual(csv("find contacts show customer, date"), "customer,date\nC1,2026-03-01\nC2,2026-03-01\n")
        XCTAssertEqual(csv("find runs show at"), "at\n2026-03-01T22:30:00+00:00\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: store.path + "/outbox/2026-03-02.jsonl"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + "/outbox/2026-03-01.jsonl"))

        // Early morning waits the same morning; a time outside quiet hours is kept.
        _ = try script(block.replacingOccurrences(of: "late", with: "early"), at: "2026-03-05T03:00:00Z")
        _ = try script(block.replacingOccurrences(of: "late", with: "noon"), at: "2026-03-05T12:00:00Z")
        XCTAssertEqual(csv("find messages where campaign != late show campaign, at sort by at limit 4", at: "2026-03-06T00:00:00Z"),
                       "campaign,at\nearly,2026-03-05T08:00:00+00:00\nearly,2026-03-05T08:00:00+00:00\nnoon,2026-03-05T12:00:00+00:00\nnoon,2026-03-05T12:00:00+00:00\n")
    }

    static func capped(_ name: String) -> String {
        """
        campaign "\(name)"
          target customers where id in (C1, C2)
          every 1d
          send sms "\(name)"
        end
        """
    }

    func testTheWeeklyCapCountsEveryCampaignAndThisRunAcrossDays() throws {
        // Day 1: two campaigns reach the cap of 2; the third in the same script run is over it.
        let day1 = try script([Self.capped("a"), Self.capped("b"), Self.capped("c")].joined(separator: "\n"), at: "2026-03-01T09:00:00Z")
        XCTAssertEqual(day1.status, 0, day1.stderr)
        XCTAssertEqual(day1.stdout, "a: targeted 2, skipped 0, sent 2\nb: targeted 2, skipped 0, sent 2\nc: targeted 2, skipped 2 (over the weekly cap: 2), sent 0\n")
        // Day 3: still two messages in the last 7 days.
        XCTAssertEqual(try script(Self.capped("a"), at: "2026-03-03T09:00:00Z").stdout, "a: targeted 2, skipped 2 (over the weekly cap: 2), sent 0\n")
        // Day 9: the day-1 messages are out of the window.
        XCTAssertEqual(try script(Self.capped("c"), at: "2026-03-09T09:00:00Z").stdout, "c: targeted 2, skipped 0, sent 2\n")
        // The cap comes from the policy: 0 means none.
        XCTAssertEqual(store.run(["-c", "set policy campaign.weeklyCap = 0"], now: "2026-03-09T09:00:00Z").status, 0)
        XCTAssertEqual(try script(Self.capped("b"), at: "2026-03-09T10:00:00Z").stdout, "b: targeted 2, skipped 0, sent 2\n")
    }

    func testASegmentTargetIsEvaluatedAtEachRunAndAnUnknownNameFailsFirst() throws {
        let block = """
        campaign "big spenders"
          target segment "rich"
          every 1d
          send preferred "Thank you"
        end
        """
        XCTAssertEqual(store.run(["-c", "save segment rich as customers where points >= 100"], now: "2026-03-01T09:00:00Z").status, 0)
        XCTAssertEqual(store.run(["-c", "add points C1 150 \"gift\""], now: "2026-03-01T09:00:00Z").status, 0)
        XCTAssertEqual(try script(block, at: "2026-03-01T09:00:00Z").stdout, "big spenders: targeted 1, skipped 0, sent 1\n")
        XCTAssertEqual(store.run(["-c", "add points C2 150 \"gift\""], now: "2026-03-02T09:00:00Z").status, 0)
        XCTAssertEqual(try script(block, at: "2026-03-03T09:00:00Z").stdout, "big spenders: targeted 2, skipped 0, sent 2\n")

        let inCondition = block.replacingOccurrences(of: "target segment \"rich\"", with: "target customers where in segment \"rich\" and id = C2")
            .replacingOccurrences(of: "big spenders", with: "rich c2")
        XCTAssertEqual(try script(inCondition, at: "2026-03-03T09:00:00Z").stdout, "rich c2: targeted 1, skipped 0, sent 1\n")

        let typo = try script(block.replacingOccurrences(of: "\"rich\"", with: "\"rihc\""), at: "2026-03-04T09:00:00Z")
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("unknown segment 'rihc'") && typo.stderr.contains("did you mean 'rich'?"), typo.stderr)
        XCTAssertEqual(csv("count runs"), "count\n3\n")
    }
}
