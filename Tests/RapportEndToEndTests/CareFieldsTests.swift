import Foundation
import RapportCore
import XCTest
import RapportTestSupport

/// The customer fields care campaigns read (`preferredChannel`, `optOut`) and the policy
/// keys they obey, through the real binary: set, refused with a did-you-mean, queried,
/// imported, exported, shown on the card, kept by a fresh process; an old store opens
/// without them.
final class CareFieldsTests: XCTestCase {
    var store: TemporaryStore!

    override func setUp() { store = TemporaryStore("care") }
    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ args: [String]) -> RapportRunner.Result { store.run(args) }

    func csv(_ command: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let r = rapport(["--format", "csv", "-c", command])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
    }

    func addThree() {
        let r = rapport([
            "-c", #"add customer id: "C1", name: "王芳", phone: "13800000001", preferredChannel: WeChat, optOut: (SMS, call, sms)"#,
            "-c", #"add customer id: "C2", name: "Li", email: "li@example.com", preferredChannel: call"#,
            "-c", #"add customer id: "C3", name: "Zhao", optOut: all"#,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testFieldsAreStoredInOneSpellingAndQueried() {
        addThree()
        XCTAssertEqual(csv("find customers show id, preferredChannel, optOut"),
                       "id,preferredChannel,optOut\nC1,wechat,sms;phone\nC2,phone,\nC3,,all\n",
                       "aliases resolved, case folded, repeats dropped; a fresh process reads them back")
        XCTAssertEqual(csv("find customers where optOut has sms show id"), "id\nC1\n")
        XCTAssertEqual(csv("find customers where optOut has CALL show id"), "id\nC1\n", "an alias in has is its word")
        XCTAssertEqual(csv("find customers where optOut has any (all, phone) show id"), "id\nC1\nC3\n")
        XCTAssertEqual(csv("find customers where preferredChannel = wechat show id"), "id\nC1\n")
        XCTAssertEqual(csv("find customers where preferredChannel = call show id"), "id\nC2\n")
        XCTAssertEqual(csv("find customers where optOut is null show id"), "id\nC2\n")
        XCTAssertEqual(csv("count customers by preferredChannel"), "preferredChannel,count\nphone,1\nwechat,1\n,1\n")

        let r = rapport(["-c", "update customers where id = C2 set optOut = (email), preferredChannel = sms"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("find customers where id = C2 show optOut, preferredChannel"), "optOut,preferredChannel\nemail,sms\n")
    }

    func testUnknownWordsAreRefusedWithDidYouMeanAndNothingChanges() {
        addThree()
        var r = rapport(["-c", "update customers where id = C2 set optOut = (sms, emial)"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("error: 'emial' cannot be an item of optOut"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'email'?"), r.stderr)
        XCTAssertTrue(r.stderr.contains("optOut holds any of: phone, visit, email, sms, wechat, all"), r.stderr)
        r = rapport(["-c", #"add customer id: "C4", preferredChannel: wechatt"#])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("error: 'wechatt' is not a preferredChannel"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'wechat'?"), r.stderr)
        XCTAssertEqual(csv("find customers show id, optOut"), "id,optOut\nC1,sms;phone\nC2,\nC3,all\n")

        r = rapport(["-c", "find customers where optOut has smss"])
        XCTAssertEqual(r.status, 0, "a word outside the vocabulary still runs (an old store may hold it)")
        XCTAssertTrue(r.stderr.contains("warning: 'smss' cannot be an item of optOut"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'sms'?"), r.stderr)
    }

    func testImportChecksEveryRowThenStoresAllOrNothing() throws {
        let bad = try store.file("bad.csv", "id,name,preferredChannel,optOut\nC1,Wang,WeChat,sms;Email\nC2,Li,fax,\nC3,Zhao,sms,sms;smss\n")
        var r = rapport(["-c", "import customers from \"\(bad)\""])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 3") && r.stderr.contains("'fax' is not a preferredChannel"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 4") && r.stderr.contains("'smss' cannot be an item of optOut (did you mean 'sms'?)"), r.stderr)
        XCTAssertEqual(csv("count customers"), "count\n0\n")

        let good = try store.file("good.csv", "id,name,preferredChannel,optOut\nC1,Wang,WeChat,sms;Email\nC2,Li,,\n")
        r = rapport(["-c", "import customers from \"\(good)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try store.file("more.jsonl", #"""
            {"id":"C3","name":"Zhao","preferredChannel":"微信","optOut":["ALL"]}
            {"id":"C4","name":"Qian","optOut":"visit;call"}
            """#)
        r = rapport(["-c", "import customers from \"\(lines)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = "id,preferredChannel,optOut\nC1,wechat,sms;email\nC2,,\nC3,wechat,all\nC4,,visit;phone\n"
        XCTAssertEqual(csv("find customers show id, preferredChannel, optOut"), expected)

        // Exported and imported again into a new store: the same values.
        let out = store.files + "/out.csv"
        XCTAssertEqual(rapport(["-c", "export customers to \"\(out)\""]).status, 0)
        let other = TemporaryStore("care-copy")
        XCTAssertEqual(other.run(["-c", "import customers from \"\(out)\""]).status, 0)
        XCTAssertEqual(other.run(["--format", "csv", "-c", "find customers show id, preferredChannel, optOut"]).stdout
            .replacingOccurrences(of: "\r\n", with: "\n"), expected)
    }

    func testTheCardShowsHowTheCustomerMayBeReached() {
        addThree()
        let card = rapport(["-c", "show customer C1"]).stdout
        // Labels no wider than "customer since", so every card keeps its layout.
        XCTAssertTrue(card.contains("  prefers         wechat\n"), card)
        XCTAssertTrue(card.contains("  opted out       sms, phone\n"), card)
        XCTAssertFalse(rapport(["-c", "show customer C2"]).stdout.contains("opted out"), "an empty field is left off")
    }

    func testAStoreFromBeforeTheFieldsOpensWithThemMissing() throws {
        let path = store.path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FormatVersionTests.versionOneStore, toPath: path)
        XCTAssertEqual(csv("count customers where optOut is null and preferredChannel is null"), "count\n3\n")
        XCTAssertEqual(rapport(["-c", "update customers where id = C000001 set optOut = (sms)"]).status, 0)
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        XCTAssertEqual(rapport(["--check"]).status, 0)
        XCTAssertEqual(csv("find customers where optOut has sms show id, name"), "id,name\nC000001,王芳\n")
    }

    func testCampaignPolicyKeysAreShownAndSet() {
        XCTAssertEqual(csv("show policy campaign"), """
            key,value,default,meaning
            campaign.quietHours.start,21:00,21:00,quiet hours begin: no message is stamped from this time of day
            campaign.quietHours.end,08:00,08:00,"quiet hours end: a message held by them goes at this time; equal to the start, no quiet hours"
            campaign.weeklyCap,2,2,"most messages a customer gets in any 7 days, all campaigns together; 0 = no cap"

            """)
        var r = rapport(["-c", "set policy campaign.quietHours.start = 22:30"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "policy campaign.quietHours.start: 21:00 → 22:30\n")
        r = rapport(["-c", "set policy campaign.quietHours.end = 7:05"])
        XCTAssertEqual(r.stdout, "policy campaign.quietHours.end: 08:00 → 07:05\n")
        r = rapport(["-c", "set policy campaign.weeklyCap = 0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("show policy campaign").split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) + "=" + $0.split(separator: ",")[1] },
                       ["campaign.quietHours.start=22:30", "campaign.quietHours.end=07:05", "campaign.weeklyCap=0"],
                       "a fresh process reads them back")
        for bad in ["24:00", "9", "21:5", "nine", "-1:00"] {
            r = rapport(["-c", "set policy campaign.quietHours.start = \(bad)"])
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("takes a time of day from 00:00 to 23:59, written HH:MM"), r.stderr)
        }
        r = rapport(["-c", "set policy campaign.weeklyCap = 1.5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        XCTAssertEqual(csv("show policy campaign.quietHours.start").split(separator: "\n").last?.hasPrefix("campaign.quietHours.start,22:30,"), true,
                       "the snapshot keeps the key")
    }
}
