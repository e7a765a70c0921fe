import Foundation
import XCTest
@testable import RapportCore

/// `FileSystem.readFile`: every byte in its place, a large file read in parts at once.
final class FileReadTests: XCTestCase {
    func testEveryByteInItsPlaceWhateverTheSize() throws {
        let directory = NSTemporaryDirectory() + "file-read-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let large = FileSystem.bytesWorthReadingInParts
        for size in [0, 1, 65_537, large + 3] {
            // No two nearby positions alike: a part read into the wrong place shows.
            var generator = SplitMix64(seed: UInt64(size))
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let path = directory + "/f\(size)"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let read = try FileSystem.readFile(path)
            XCTAssertEqual(read.count, size)
            XCTAssertTrue(read == bytes, "size \(size)")
        }
        XCTAssertThrowsError(try FileSystem.readFile(directory + "/missing"))
    }
}
