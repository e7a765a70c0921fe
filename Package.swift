// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Rapport",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rapport", targets: ["rapport"]),
        .library(name: "RapportCore", targets: ["RapportCore"]),
    ],
    targets: [
        // libedit, through a system-library target (Debian: libedit-dev).
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // libcrypto (OpenSSL) for AES-256-GCM, through a system-library target (Debian: libssl-dev).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // CRC-32 by carry-less multiplication (PCLMULQDQ), our own header-only C: Swift has no
        // intrinsic for it. Persistence/CRC32.swift chooses it at run time.
        .systemLibrary(name: "CChecksum"),
        // libpq, PostgreSQL's client library, through a system-library target (Debian: libpq-dev).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // Model and store, persistence, query language, interchange, output, demo data,
        // and the session that runs commands. Knows nothing of terminals.
        .target(
            name: "RapportCore",
            dependencies: ["CCrypto", "CChecksum"],
            // Exclusivity checks cost the core's hot loops (columns and indexes are class
            // storage mutated in place) 53% more instructions: 2.09 G against 1.37 G for
            // loading 20,000 demo customers and seven queries (callgrind, release, Swift 6.3,
            // docs/architecture.md). Off for the core only; the shell keeps them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // The PostgreSQL backend (docs/postgres.md): the core's `Backend` over libpq. The
        // core knows nothing of it; the shell opens it for `--db URL`.
        .target(
            name: "RapportPostgres",
            dependencies: ["RapportCore", "CLibPQ"]
        ),
        // The command line and the interactive shell, on top of the core.
        .target(
            name: "RapportShell",
            dependencies: ["RapportCore", "RapportPostgres", "CEditLine"]
        ),
        .executableTarget(
            name: "rapport",
            dependencies: ["RapportShell"]
        ),
        // What the test targets share: the binary runner, a temporary store, a record
        // builder and assertDiagnostic. A library target, so that tests import it.
        .target(
            name: "RapportTestSupport",
            dependencies: ["RapportCore"],
            path: "Tests/RapportTestSupport"
        ),
        .testTarget(
            name: "RapportCoreTests",
            dependencies: ["RapportCore", "RapportTestSupport"],
            // csv-spectrum's data files, read from the source tree by CSVTests.
            exclude: ["Interchange/csv-spectrum"]
        ),
        .testTarget(
            name: "RapportShellTests",
            dependencies: ["RapportShell", "RapportTestSupport"]
        ),
        .testTarget(
            name: "RapportEndToEndTests",
            dependencies: ["RapportCore", "RapportTestSupport"],
            // Stores written by older versions, copied and opened by the tests.
            exclude: ["Fixtures"]
        ),
        // The PostgreSQL backend through the real binary, against the throwaway server
        // scripts/test starts ($RAPPORT_TEST_PG); skipped without it.
        .testTarget(
            name: "RapportPostgresTests",
            dependencies: ["RapportCore", "RapportPostgres", "RapportTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
