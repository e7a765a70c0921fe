import Foundation
import XCTest
@testable import RapportCore

/// Column storage viewing a read-only mapping: reads come from the map, the first change
/// copies, copies are independent, and the mapped file never changes.
final class ColumnStorageTests: XCTestCase {
    func testChangingAMappedViewCopiesItAndLeavesTheFileAlone() throws {
        let path = NSTemporaryDirectory() + "column-storage-\(UUID().uuidString)"
        defer { unlink(path) }
        let original: [UInt32] = (0..<4096).map { UInt32($0 * 3) }
        // Padded to the header the image needs, then the values.
        var bytes = [UInt8](repeating: 0, count: ColumnImage.headerSize)
        original.withUnsafeBytes { bytes.append(contentsOf: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let image = try MappedImage(path: path)
        let start = (image.bytes.baseAddress! + ColumnImage.headerSize).assumingMemoryBound(to: UInt32.self)
        let view = ColumnStorage(view: UnsafeBufferPointer(start: start, count: original.count), in: image)
        XCTAssertTrue(view.isMapped)
        XCTAssertEqual(view.array, original)

        var changed = view
        changed[7] = 99
        changed.append(5)
        XCTAssertFalse(changed.isMapped, "the first change copies")
        XCTAssertTrue(view.isMapped, "the copy it was taken from still views the map")
        XCTAssertEqual(view[7], 21)
        XCTAssertEqual(changed[7], 99)
        XCTAssertEqual(changed.count, original.count + 1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(bytes), "nothing written through the map")

        var second = changed
        second[0] = 1
        XCTAssertEqual(changed[0], 0, "copies of owned storage are independent too")
    }

    func testDictionaryFromAViewFindsAndInternsLikeTheOriginal() {
        let d = StringDictionary()
        for s in ["C1", "c1", "Wang", "王芳", "x"] { _ = d.intern(s) }
        d.buildFoldedSlots()
        let parts = d.imageParts
        let copy = StringDictionary(imageBytes: parts.bytes, ends: parts.ends, slots: parts.slots, folded: parts.folded,
                                    checkedLater: false)!
        XCTAssertEqual(copy.codes(ignoringCase: "C1"), d.codes(ignoringCase: "C1"))
        XCTAssertEqual(copy.codes(ignoringCase: "C1"), [1, 2])
        XCTAssertEqual(copy.code(of: "王芳"), 4)
        XCTAssertEqual(copy.intern("new"), 6)
        XCTAssertEqual(copy.codes(ignoringCase: "NEW"), [6], "the folded table is extended after a view")
        XCTAssertNil(d.code(of: "new"), "the original is untouched")
    }
}
