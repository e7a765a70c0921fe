import XCTest
@testable import RapportCore

/// Items grouped by entity as a dictionary of arrays would group them, in the order the
/// entities are first met, alternating entities included.
final class EntityGroupsTests: XCTestCase {
    func testAlternatingAndReturningEntitiesGroupLikeADictionaryInFirstMetOrder() {
        let entities: [Entity] = [.customers, .points, .customers, .points, .tickets, .customers, .tickets, .points]
        var groups = EntityGroups<Int>()
        var expected: [Entity: [Int]] = [:]
        var flagged: [Entity: Int] = [:]
        for (i, entity) in entities.enumerated() {
            groups.append(i, to: entity, flagged: i % 3 == 0)
            expected[entity, default: []].append(i)
            if i % 3 == 0 { flagged[entity, default: 0] += 1 }
        }
        XCTAssertEqual(groups.groups.map(\.entity), [.customers, .points, .tickets])
        for group in groups.groups {
            XCTAssertEqual(group.items, expected[group.entity])
            XCTAssertEqual(group.flagged, flagged[group.entity] ?? 0)
        }
    }
}
