import XCTest
@testable import RapportCore

final class GrantsTests: XCTestCase {
    func testAStoreWithoutGrantsGivesEveryoneAdminAndAGrantedStoreGivesStrangersTrainee() {
        XCTAssertEqual(Grants.most(for: "anyone", in: [:]), .admin)
        XCTAssertEqual(Grants.most(for: "alice", in: ["alice": .agent, "root": .admin]), .agent)
        XCTAssertEqual(Grants.most(for: "mallory", in: ["root": .admin]), .trainee)
    }

    func testTheSessionTakesTheGrantUnlessALesserRoleIsAsked() throws {
        let grants: [String: Role] = ["alice": .manager, "root": .admin]
        XCTAssertEqual(try Grants.session(osUser: "alice", grants: grants, requestedRole: nil, requestedUser: nil).role, .manager)
        XCTAssertEqual(try Grants.session(osUser: "alice", grants: grants, requestedRole: .agent, requestedUser: nil).role, .agent)
        XCTAssertThrowsError(try Grants.session(osUser: "alice", grants: grants, requestedRole: .admin, requestedUser: nil)) {
            XCTAssertEqual(($0 as? Diagnostic)?.id, .roleAboveGrant)
            XCTAssertEqual(($0 as? Diagnostic)?.arguments, ["admin", "alice", "manager"])
        }
    }

    func testOnlyAnAdminOrAnyoneInAStoreWithoutGrantsMayUseUser() throws {
        XCTAssertEqual(try Grants.session(osUser: "x", grants: [:], requestedRole: nil, requestedUser: "bob").user, "bob")
        XCTAssertEqual(try Grants.session(osUser: "root", grants: ["root": .admin], requestedRole: nil, requestedUser: "bob").user, "bob")
        XCTAssertThrowsError(try Grants.session(osUser: "alice", grants: ["root": .admin, "alice": .manager],
                                                requestedRole: .trainee, requestedUser: "root")) {
            XCTAssertEqual(($0 as? Diagnostic)?.id, .userOptionNeedsAdmin)
        }
        XCTAssertEqual(try Grants.session(osUser: "alice", grants: ["root": .admin, "alice": .manager],
                                          requestedRole: nil, requestedUser: "alice").user, "alice", "naming yourself raises nothing")
    }

    func testTheFirstGrantAlsoGrantsTheGranterAdmin() throws {
        XCTAssertEqual(try Grants.grant("alice", .agent, by: "root", in: [:]),
                       [GrantChange(user: "alice", before: nil, after: .agent), GrantChange(user: "root", before: nil, after: .admin)])
        XCTAssertEqual(try Grants.grant("root", .admin, by: "root", in: [:]), [GrantChange(user: "root", before: nil, after: .admin)])
        XCTAssertEqual(try Grants.grant("bob", .manager, by: "root", in: ["root": .admin]),
                       [GrantChange(user: "bob", before: nil, after: .manager)])
        XCTAssertEqual(try Grants.grant("bob", .manager, by: "root", in: ["root": .admin, "bob": .manager]), [], "no change")
    }

    func testTheLastAdminCannotBeRevokedOrLowered() throws {
        let grants: [String: Role] = ["root": .admin, "alice": .agent]
        XCTAssertThrowsError(try Grants.revoke("root", in: grants, at: SourceSpan(start: SourceLocation(line: 1, column: 8), length: 4))) {
            XCTAssertEqual(($0 as? Diagnostic)?.id, .lastAdminKept)
        }
        XCTAssertThrowsError(try Grants.grant("root", .manager, by: "root", in: grants)) {
            XCTAssertEqual(($0 as? Diagnostic)?.id, .lastAdminKept)
        }
        XCTAssertThrowsError(try Grants.grant("me", .agent, by: "me", in: [:]), "the first grant cannot leave no admin")
        XCTAssertEqual(try Grants.revoke("alice", in: grants, at: SourceSpan(start: SourceLocation(line: 1, column: 8), length: 5)),
                       GrantChange(user: "alice", before: .agent, after: nil))
        XCTAssertThrowsError(try Grants.revoke("alcie", in: grants, at: SourceSpan(start: SourceLocation(line: 1, column: 8), length: 5))) {
            XCTAssertEqual(($0 as? Diagnostic)?.id, .grantNotFound)
            XCTAssertEqual(($0 as? Diagnostic)?.suggestion, "alice")
        }
    }

    func testATraineeIsOfferedNoPhoneOrEmailValues() {
        let store = Store()
        store.apply({
            var set = ChangeSet(at: 0, user: "t", command: "add")
            set.changes = [RecordChange(kind: .insert, entity: .customers, id: "C000001",
                                        after: ["name": .string("王芳"), "phone": .string("13812345678"), "email": .string("wang@example.com"),
                                                "city": .string("上海")])]
            return set
        }())
        var completer = Completer(backend: InMemoryBackend(store: store), fileNames: { _ in [] })
        XCTAssertTrue(completer.complete("find customers where city = ").candidates.contains("上海"))
        XCTAssertTrue(completer.complete("find customers where email = ").candidates.contains { $0.contains("wang@example.com") }, "others are offered it")
        completer.role = .trainee
        for line in ["find customers where phone = ", "find customers where email = ", "count customers where phone in ("] {
            let offered = completer.complete(line).candidates
            XCTAssertFalse(offered.contains { $0.contains("5678") || $0.contains("wang@") }, "\(line): \(offered)")
        }
        XCTAssertTrue(completer.complete("find customers where city = ").candidates.contains("上海"), "other values still offered")
    }

    func testGrantCompletionOffersUsersThenRoles() {
        let store = Store()
        var set = ChangeSet(at: 0, user: "root", command: "grant")
        set.grantChanges = [GrantChange(user: "alice", before: nil, after: .agent)]
        store.apply(set)
        let completer = Completer(backend: InMemoryBackend(store: store), fileNames: { _ in [] })
        XCTAssertTrue(completer.complete("grant ").candidates.contains("alice"))
        XCTAssertEqual(Set(completer.complete("grant alice ").candidates), ["admin", "agent", "manager", "trainee"])
        XCTAssertEqual(completer.complete("revoke ").candidates, ["alice"])
        XCTAssertTrue(completer.complete("show g").candidates.contains("grants"))
    }
}
