import XCTest
@testable import RapportCore

/// The importer's table of first rows per id, email and phone: the first index of each
/// key, whatever the hashes do (all equal, equal low bits) and past the capacity given.
final class FirstIndexTableTests: XCTestCase {
    func testTheFirstIndexOfEachKeyWhateverTheHashes() {
        let keys = (0..<5_000).map { "key\($0 % 1_700)" }
        for hashOf in [{ (k: String) in k.hashValue }, { _ in 0 }, { k in (k.hashValue & 7) << 40 }] as [(String) -> Int] {
            // Capacity far under the number of keys: the table grows.
            var table = FirstIndexTable(capacity: 3)
            var expected: [String: Int] = [:]
            for (index, key) in keys.enumerated() {
                let found = table.first(hash: hashOf(key), index: index) { keys[$0] == key }
                XCTAssertEqual(found, expected[key], "\(key) at \(index)")
                if expected[key] == nil { expected[key] = index }
            }
            XCTAssertEqual(table.count, 1_700)
        }
    }
}
