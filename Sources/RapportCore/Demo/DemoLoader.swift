/// Fills a store with the deterministic demo data.
public enum DemoLoader {
    public static func load(into store: Store, size: Int, today: Day) {
        store.customers.reserveCapacity(size)
        DemoGenerator(size: size, today: today).generate { entity, record in
            store[entity].append(record)
        }
    }
}
