@testable import RapportCore

// The tests build their fixtures as in-memory `Store`s; these open them through
// `InMemoryBackend`, the way the shell opens a `Database`.

extension Session {
    convenience init(database: Database, settings: Settings, clock: Clock, pinnedNow: Int64? = nil) {
        self.init(backend: InMemoryBackend(database: database), settings: settings, clock: clock, pinnedNow: pinnedNow)
    }

    /// The in-memory store behind the session.
    var store: Store { (backend as! InMemoryBackend).store }
}

extension Completer {
    init(store: Store, lessons: [String] = [], fileNames: @escaping (String) -> [String] = Completer.listFiles) {
        self.init(backend: InMemoryBackend(store: store), lessons: lessons, fileNames: fileNames)
    }
}

extension Importer {
    init(store: Store, clock: Clock) {
        self.init(backend: InMemoryBackend(store: store), clock: clock)
    }
}
