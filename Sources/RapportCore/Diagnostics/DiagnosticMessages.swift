/// Every message a user can see from a diagnostic, by id: the one place for the wording.
/// One case per `DiagnosticID`, alphabetical; `a[n]` is the diagnostic's n-th argument.
/// A switch without a default, so an id without wording does not compile.
public enum DiagnosticMessages {
    public struct Wording: Sendable, Equatable {
        public var message: String
        /// Explanation under the caret.
        public var notes: [String]

        init(_ message: String, notes: [String] = []) {
            self.message = message
            self.notes = notes
        }
    }

    /// "a string", "an integer": the type names and words the messages put after "is".
    static func article(_ word: String) -> String {
        guard let first = word.lowercased().first else { return word }
        return ("aeiou".contains(first) ? "an " : "a ") + word
    }

    public static func wording(for id: DiagnosticID, _ a: DiagnosticArguments) -> Wording {
        switch id {
        case .aggregateNeedsNumber: Wording("\(a[0]) needs a numeric field; '\(a[1])' is \(article(a[2]))")
        case .aggregateRejectsType: Wording("\(a[0]) cannot take the \(a[1]) field '\(a[2])'")
        case .amountOutOfRange: Wording("the amount must be above 0 and below 1000000000000")
        case .arithmeticOperandType: Wording("'\(a[0])' works on numbers, dates and durations; '\(a[1])' is \(a[2])")
        case .arithmeticTypeMismatch: Wording("cannot \(a[0]) \(a[1]) and \(a[2]): '\(a[3])' is \(a[4])",
                           notes: ["numbers take + - * /; DATE - DATE is days; DATE + DURATION and DATE - DURATION are dates"])
        case .auditLogUnreadable: Wording("the audit trail cannot be read: \(a[0]) entry \(a[1]) (byte \(a[2])) \(a[3])",
                                           notes: ["'check' describes the store's files; the records themselves are not affected"])
        case .auditTrailReadOnly: Wording("the audit trail cannot be changed with \(a[0])",
                                          notes: ["every change writes its own rows; read them with find audit or audit ID"])
        case .backupIncomplete: Wording("the backup was not completed: \(a[0])")
        case .backupIntoItself: Wording("cannot back up a store into itself")
        case .backupTargetIsFile: Wording("\(a[0]) is a file: back up into a new or empty directory")
        case .backupTargetNotEmpty: Wording("\(a[0]) is not empty: back up into a new or empty directory")
        case .betweenOnList: Wording("'\(a[0])' is a list; 'between' needs a single value")
        case .binIDTaken: Wording("\(a[0]) \(a[1]) is in the bin (deleted); restore it with 'restore \(a[1])' or remove it for good with 'purge' before adding it again")
        case .campaignClauseRepeated: Wording("'\(a[0])' is given twice in campaign '\(a[1])'", notes: ["a campaign has one target and at most one every line"])
        case .campaignNeedsAction: Wording("campaign '\(a[0])' has no action", notes: ["actions: send CHANNEL \"TEXT\", log contact via CHANNEL \"NOTE\", add points N \"REASON\", open ticket KIND \"TEXT\", assign to OWNER \"TASK\", set FIELD = VALUE"])
        case .campaignNeedsEnd: Wording("campaign '\(a[0])' has no end line", notes: ["a campaign block ends with a line that says end"])
        case .campaignNeedsTarget: Wording("campaign '\(a[0])' has no target line", notes: ["say who it is for: target customers where CONDITION (or target all customers)"])
        case .campaignRecordsWrittenByRuns: Wording("campaign messages, touchpoints and runs cannot be changed with \(a[0])", notes: ["they are written only by running a campaign block (help campaign), and messages by deliver (help deliver)"])
        case .cannotCreateStoreDirectory: Wording("cannot create the store directory \(a[0]): \(a[1])")
        case .cannotOpenJournal: Wording("cannot open the journal: \(a[0])")
        case .cannotReadFile: Wording("cannot read '\(a[0])': \(a[1])")
        case .cannotReadStoreFile: Wording("cannot read \(a[0]): \(a[1])")
        case .cannotTruncateJournal: Wording("cannot truncate the torn journal entry: \(a[0])")
        case .cannotWriteFile: Wording("cannot write '\(a[0])': \(a[1])")
        case .changeNotSaved: Wording("the change was not saved: \(a[0]); nothing changed")
        case .columnImageDamaged: Wording("the column image \(a[0]) is damaged: \(a[1]) does not match its checksum; nothing was answered or changed from it")
        case .comparisonTypeMismatch: Wording("cannot compare \(a[0]) with \(a[1]): '\(a[2])' is \(a[3])")
        case .complaintNeedsSatisfaction: Wording("ticket \(a[0]) is a complaint: it closes only with a satisfaction score from 1 to 5",
                           notes: ["close \(a[0]) satisfaction 4 \"NOTE\"; the score becomes the customer's satisfaction"])
        case .computedNotWholeNumber: Wording("\(a[0]) \(a[1]): \(a[2]) is \(a[3]), not a whole number for the integer field '\(a[4])'; nothing was changed")
        case .computedValueOutOfRange: Wording("\(a[0]) \(a[1]): \(a[2]) is out of range for the \(a[3]) field '\(a[4])'; nothing was changed")
        case .conditionRequired: Wording("\(a[0]) needs a where condition, or all for every record",
                           notes: ["to \(a[0] == "update" ? "change" : "delete") every record, say so: \(a[0]) all \(a[1])\(a[2])"])
        case .conditionTooDeep: Wording("condition is nested too deeply")
        case .conditionTooLong: Wording("condition is too long: at most \(a[0]) conditions may be joined by and, or and not",
                           notes: ["to match one of many values, use: FIELD in (V1, V2, ...)"])
        case .cryptoFailed: Wording("the system's libcrypto failed (\(a[0])): nothing was encrypted")
        case .customerFieldMixed: Wording("'\(a[0])' is a field of the record's customer; one comparison cannot mix it with the \(a[1])'s own fields",
                           notes: ["compare customer fields with customer fields or values: customer.totalSpent > 1000"])
        case .customerFieldOnCustomers: Wording("'\(a[0])' reads the customer of a contact, purchase or ticket; on customers write '\(a[1])'")
        case .customerNotFound: Wording("no customer with id '\(a[0])'")
        case .customerRequired: Wording("a \(a[0]) needs a customer")
        case .dateOutOfRange: Wording("\(a[0]) must be a date from 0001-01-01 to 9999-12-31")
        case .deliveryCommandEmpty: Wording("deliver needs a command to hand each message to", notes: [#"for example deliver via "./send-sms.sh": it reads one message as JSON on its standard input and exits 0 once it is sent"#])
        case .derivedFieldCannotBeSet: Wording("'\(a[0])' is a derived field, computed from the records (\(a[1])); it cannot be set")
        case .derivedFieldReadOnly: Wording("\(a[0]) is kept from the customer's \(a[1]); change the \(a[1]) instead")
        case .derivedOutOfRange: Wording("the purchase takes \(a[0]) out of range")
        case .emailNotAnAddress: Wording("email '\(a[0])' is not an address",
                           notes: ["an email address has one @, a dot in its domain and no spaces"])
        case .emptyCommand: Wording("empty command")
        case .emptyFieldName: Wording("empty field name")
        case .encryptedBackupNeedsRestore: Wording("\(a[0]) is an encrypted backup: it does not open as a store",
                           notes: ["restore it into a new directory: RAPPORT_KEY_FILE=KEYFILE rapport --data NEWDIR --restore-from \(a[0])"])
        case .encryptedStoreBackupNotEncrypted: Wording("the store is encrypted: its backup must be too",
                           notes: ["write 'backup to \"DIR\" encrypted'"])
        case .encryptedStoreMarkerDamaged: Wording("\(a[0]) is not a marker of an encrypted store this Rapport reads: nothing was read or written")
        case .encryptedStoreNeedsKey: Wording("the store \(a[0]) is encrypted (key id \(a[1])), and RAPPORT_KEY_FILE is not set: nothing was read or written",
                           notes: ["set RAPPORT_KEY_FILE to the name of the file holding the store's key (docs/encryption.md)"])
        case .encryptedStoreWrongKey: Wording("the store \(a[0]) is encrypted with another key (key id \(a[1])); the key in \(a[2]) has id \(a[3]): nothing was read or written",
                           notes: ["set RAPPORT_KEY_FILE to the key the store was made with"])
        case .encryptionKeyMissing: Wording("encryption needs a key, and RAPPORT_KEY_FILE is not set",
                           notes: ["set RAPPORT_KEY_FILE to the name of a file holding the key (docs/encryption.md); a key is never typed on the command line"])
        case .encryptionTargetNotEmpty: Wording("\(a[0]) exists and is not an empty directory: --encrypt makes a new store, it does not encrypt an existing one",
                           notes: ["give --encrypt a new or empty directory, then copy the data in (export, then import)"])
        case .expectedAmount: Wording("expected an amount, found '\(a[0])'")
        case .expectedCustomerID: Wording("expected a customer id, found '\(a[0])'")
        case .expectedDirectoryName: Wording("expected a directory name")
        case .expectedFileName: Wording("expected a file name")
        case .expectedLetName: Wording("let needs a name: a letter or _, then letters, digits or _", notes: ["let window = 7d"])
        case .expectedQuotedFileName: Wording("expected a file name in quotes")
        case .expectedSegmentName: Wording("expected a segment name, in quotes when it has spaces", notes: [#"find customers in segment "lapsing gold""#])
        case .expectedTaskID: Wording("expected a task id, found '\(a[0])'")
        case .expectedTicketID: Wording("expected a ticket id, found '\(a[0])'")
        case .expectedToken: Wording("expected \(a[0]), found \(a[1])")
        case .expectedValue: Wording("expected \(a[0]), found '\(a[1])'")
        case .expectedWord: Wording("expected a \(a[0])")
        case .exportCancelled: Wording("export cancelled; '\(a[0])' was not written")
        case .expressionTooDeep: Wording("expression is nested too deeply")
        case .expressionTooLong: Wording("expression is too long: at most \(a[0]) operands may be joined")
        case .expressionTypeForField: Wording("'\(a[0])' is \(a[1]) \(a[2]) field; '\(a[3])' is \(a[4])")
        case .fieldGivenTwice: Wording("'\(a[0])' is given twice")
        case .fieldNeedsOperator: Wording("'\(a[0])' is \(article(a[1])) field, not true or false; a condition on it needs an operator",
                           notes: ["for example: \(a[2]) \(a[3]) VALUE"])
        case .grantNotFound: Wording("'\(a[0])' has no grant", notes: ["show grants lists who has one"])
        case .hasOnNonList: Wording("'has' works on lists; '\(a[0])' is \(article(a[1]))",
                           notes: ["use: \(a[0]) = VALUE"])
        case .idControlCharacters: Wording("\(a[0]) cannot contain control characters")
        case .idEmpty: Wording("\(a[0]) cannot be empty")
        case .idPadded: Wording("\(a[0]) cannot start or end with a space")
        case .idUnchangeable: Wording("ids cannot be changed")
        case .importCancelled: Wording("import cancelled; nothing was imported")
        case .importDuplicateWarnings: Wording("\(a[0]): \(a[1]) row(s) share a phone or email with another customer or row; imported all the same")
        case .importFailed: Wording("import failed: \(a[0]) line \(a[1]): \(a[2]); nothing was imported")
        case .importFailedRows: Wording("import failed: \(a[0]): \(a[1]) bad rows; nothing was imported")
        case .importFormatWarnings: Wording("\(a[0]): \(a[1]) row(s) have an email that is not an address or a phone without digits; stored as given")
        case .importMapColumnMissing: Wording("column '\(a[0])', mapped to \(a[1]), is not in \(a[2])")
        case .importMapFileInvalid: Wording("map file \(a[0]) line \(a[1]): \(a[2])",
                           notes: ["a line is '\"COLUMN\" to FIELD' or 'FIELD \"VALUE\" to WORD'; # starts a comment"])
        case .importNotLanded: Wording("dropped the journal's last entry, change \(a[0]): a bulk import that a crash interrupted before its snapshot was in place; nothing of it was imported")
        case .importUpdateByNeedsCustomers: Wording("'update by' matches customers; an import of \(a[0]) only adds records")
        case .includeCycle: Wording("the scripts include each other: \(a[0])")
        case .includeUnreadable: Wording("cannot include '\(a[0])': \(a[1])")
        case .instantOutOfRange: Wording("\(a[0]) is out of range")
        case .invalidDate: Wording("'\(a[0])' is not a date (YYYY-MM-DD)")
        case .journalDamaged: Wording("the journal \(a[0]) is damaged at byte \(a[1]) (entry \(a[2])): \(a[3]); it was left untouched")
        case .journalFromNewerVersion: Wording("cannot open the store in \(a[0]): entry \(a[1]) of \(a[2]): \(a[3]); it was left untouched")
        case .journalNotMoved: Wording("the snapshot was saved, but the journal could not be moved to the audit log: \(a[0]); nothing is lost (the journal keeps its entries, and opening skips those the snapshot holds)")
        case .journalTailDropped: Wording("dropped the last journal entry (\(a[0]), at byte \(a[1])) because \(a[2]): it was torn by a crash before it was acknowledged")
        case .journalTailIncomplete: Wording("the last journal entry (\(a[0]), at byte \(a[1])) is incomplete: another process may be writing it; it was not read")
        case .keyFileMalformed: Wording("the key file \(a[0]) holds \(a[1]): a key is 32 random bytes, or 64 hex characters",
                           notes: ["make one with: head -c 32 /dev/urandom > KEYFILE; chmod 600 KEYFILE"])
        case .keyFileNotPrivate: Wording("the key file \(a[0]) may be read by others (mode \(a[1])): refusing to use it",
                           notes: ["make it private: chmod 600 \(a[0])"])
        case .keyFileUnreadable: Wording("cannot read the key file \(a[0]): \(a[1])")
        case .lastAdminKept: Wording("'\(a[0])' is refused: \(a[1]) is the store's last admin, and no one could grant roles after it",
                                     notes: ["grant another user admin first"])
        case .lessonCommandRefused: Wording("'\(a[0])' does not run inside a lesson: the lesson's sandbox reaches no files",
                           notes: ["quit leaves the lesson; your progress is kept"])
        case .lessonExpectBroken: Wording("this lesson step's expect block \(a[0])",
                           notes: ["the lesson is checked on its sandbox before it starts; fix the block and run tutorial again"])
        case .lessonExpectEmpty: Wording("this expect query finds no rows on the sandbox, so any query that finds nothing passes the step",
                           notes: ["choose an answer of a few rows the trainee can read; the lesson runs as it is"])
        case .lessonInvalid: Wording("the lesson file is malformed: \(a[0])",
                           notes: ["docs/training.md describes the lesson file"])
        case .lessonNotFound: Wording("there is no lesson called '\(a[0])'",
                           notes: ["tutorial lists the lessons; tutorial \"FILE\" runs a lesson file"])
        case .lessonUnreadable: Wording("cannot read the lesson '\(a[0])': \(a[1])")
        case .limitOutOfRange: Wording("\(a[0]) must be between 0 and \(a[1])")
        case .listInExpression: Wording("a list cannot take part in an expression")
        case .listItemNotInVocabulary: Wording("'\(a[0])' cannot be an item of \(a[1])",
                           notes: ["\(a[1]) holds any of: \(a[2])"])
        case .listNeedsHas: Wording("'\(a[0])' is a list; use 'has'",
                           notes: ["for example: \(a[0]) has vip"])
        case .listNeedsHasAny: Wording("'\(a[0])' is a list; use 'has any'")
        case .mergeIntoItself: Wording("cannot merge customer \(a[0]) into itself", notes: ["name the customer to remove first, then the one to keep: merge C000045 into C000012"])
        case .messagesNotDelivered: Wording("\(a[0]) of \(a[1]) messages were not delivered; the first: \(a[2])", notes: ["they are marked failed and the next deliver tries them again; find messages where status = failed shows each reason"])
        case .negationNeedsNumber: Wording("'-' needs a number; '\(a[0])' is \(a[1])")
        case .nonFiniteNumber: Wording("\(a[0]) must be a finite number")
        case .noStore: Wording("no store at \(a[0])")
        case .notADateOrTime: Wording("'\(a[0])' is not a date or a time")
        case .notAMessageChannel: Wording("'\(a[0])' is not a channel a message can go by",
                           notes: ["send takes one of: \(a[1])"])
        case .notInBin: Wording("no record with id '\(a[0])' in the bin", notes: ["find deleted ENTITY lists what the bin holds"])
        case .notInVocabulary: Wording("'\(a[0])' is not a \(a[1])",
                           notes: ["\(a[1]) is one of: \(a[2])"])
        case .notOnPostgres: Wording("\(a[0]) does not apply on PostgreSQL: \(a[1])", notes: ["docs/postgres.md, \"Backups and the server's files\", says what stands in for it (pg_dump, export store to \"DIR\")"])
        case .notYetOnPostgres: Wording("\(a[0]) is not yet supported on PostgreSQL", notes: ["docs/postgres.md lists what works today; the embedded store (--data) runs everything"])
        case .npsOutOfRange: Wording("nps is from 0 to 10, found \(a[0])")
        case .nullComparison: Wording("compare with null using 'is null' or 'is not null'")
        case .nullInExpression: Wording("null has no value to compute with; test for it with 'is null'")
        case .numberOutOfRange: Wording("number '\(a[0])' is out of range")
        case .outboxNotWritten: Wording("the messages are recorded but the outbox file was not written: \(a[0])", notes: ["run the campaign again: it sends nothing twice and writes the missing outbox lines first"])
        case .parameterNameMissing: Wording("'$' must be followed by a parameter name",
                           notes: ["write $NAME for a value given with --param NAME=VALUE, or quote a literal \"$\""])
        case .periodNeedsDate: Wording("\(a[0]) needs a date or instant field; '\(a[1])' is \(article(a[2]))")
        case .phoneWithoutDigits: Wording("phone '\(a[0])' has no digits")
        case .pointsBalanceShort: Wording("customer \(a[0]) has \(a[1]) points: cannot redeem \(a[2])")
        case .pointsBalanceTooLarge: Wording("customer \(a[0]) has \(a[1]) points: adding \(a[2]) would pass the most a balance holds (\(Int64.max))")
        case .pointsLedgerWrittenByRules: Wording("the points ledger cannot be changed with \(a[0])",
                           notes: ["add points ID N \"REASON\" earns, redeem ID N \"REASON\" spends; purchases earn by themselves"])
        case .pointsNotPositive: Wording("points must be a whole number from 1 to \(Loyalty.maximumEntry), not '\(a[0])'")
        case .policyValueInvalid: Wording("\(a[0]) takes \(a[1]); '\(a[2])' is not one")
        case .postgresConnectionFailed: Wording("cannot connect to the PostgreSQL database \(a[0]): \(a[1])")
        case .postgresFailed: Wording("PostgreSQL refused the statement, so nothing changed: \(a[0])")
        case .postgresReadFailed: Wording("the PostgreSQL database could not answer, so nothing is shown: \(a[0])", notes: ["the next command connects again if the connection was lost"])
        case .postgresRoleMissing: Wording("there is no PostgreSQL role '\(a[0])' to grant or revoke", notes: ["create the login first (CREATE ROLE name LOGIN ...), then grant it a Rapport role"])
        case .postgresRoleNotHeld: Wording("the PostgreSQL user \(a[0]) is not a member of \(a[1]), so this session cannot be \(a[2])", notes: ["an admin grants it with: grant USER ROLE"])
        case .postgresSchemaMissing: Wording("the PostgreSQL database \(a[0]) has no Rapport schema", notes: ["create it with: rapport --db URL -c init"])
        case .postgresSchemaNewer: Wording("the PostgreSQL database holds schema version \(a[0]), newer than this Rapport knows (\(a[1]))", notes: ["use a newer Rapport"])
        case .postgresSchemaOlder: Wording("the PostgreSQL database holds schema version \(a[0]), older than this Rapport's (\(a[1]))", notes: ["bring it forward with: rapport --db URL -c init"])
        case .purgeNeedsDuration: Wording("'purge older than' needs a duration such as 30d, found '\(a[0])'")
        case .readOnlyChangesRefused: Wording("the store is open read-only; changes are refused")
        case .recordExists: Wording("\(a[0]) \(a[1]) already exists")
        case .recordHasNoHistory: Wording("no change recorded for '\(a[0])'",
                                          notes: ["audit ID takes the id of a record of any entity, a policy key or a segment's name, as the change recorded it"])
        case .recoverRefusedNewer: Wording("cannot recover the store in \(a[0]): \(a[1]) \(a[2]); nothing was changed")
        case .relationCountNeedsWholeNumber: Wording("'count \(a[0])' compares with a whole number of records, found '\(a[1])'")
        case .relationNeedsCustomers: Wording("'\(a[0]) \(a[1])' tests a customer's records and works in conditions on customers, not on \(a[2])",
                           notes: ["on \(a[2]), test the record's customer with customer.FIELD, such as customer.tier = gold"])
        case .relationNeedsRecords: Wording("'\(a[0]) \(a[1])' names no records of a customer: use contacts, purchases or tickets")
        case .relationNested: Wording("a relation cannot stand inside another relation's condition",
                           notes: ["combine relations with and, or and not instead: any purchase(amount > 100) and no ticket(status != closed)"])
        case .reportGroupNeedsText: Wording("report kpi groups by a text field of customers or by month, quarter, week or year; '\(a[0])' is \(article(a[1]))")
        case .reportNeedsDate: Wording("report kpi needs a date after \(a[0]) (YYYY-MM-DD, today or yesterday), not '\(a[1])'")
        case .reportPeriodReversed: Wording("the period starts after it ends: from \(a[0]) is later than to \(a[1])")
        case .restoreIncomplete: Wording("the restore was not completed, and what it had written was removed: \(a[0])")
        case .restoreIntoItself: Wording("cannot restore a backup into itself")
        case .restoreSourceNotBackup: Wording("\(a[0]) holds no backup (no \(a[1]) in it)")
        case .restoreTargetNotEmpty: Wording("\(a[0]) exists and is not an empty directory: restore into a new or empty directory")
        case .roleAboveGrant: Wording("--role \(a[0]) is more than \(a[1]) is granted: \(a[2]) at most",
                                      notes: ["an admin grants more with grant USER ROLE; show grants lists them"])
        case .restoreCustomerFirst: Wording("\(a[0]) \(a[1]) belongs to customer \(a[2]), which is in the bin: restore \(a[2]) first")
        case .restoredIDInUse: Wording("cannot restore \(a[0]) \(a[1]): a live record has that id again")
        case .restoreNeedsID: Wording("expected the id of a deleted record after 'restore', found '\(a[0])'")
        case .roleRequired: Wording("'\(a[0])' needs the \(a[1]) role; this session is \(a[2])")
        case .satisfactionOutOfRange: Wording("satisfaction is from 1 to 5, found \(a[0])")
        case .saveCancelled: Wording("save cancelled; the previous snapshot and the journal are as they were")
        case .sealedFileDamaged: Wording("\(a[0]) does not decrypt: \(a[1]); it was changed or damaged after it was encrypted, and nothing was written")
        case .sealedFileUnreadable: Wording("\(a[0]) cannot be decrypted by this Rapport: \(a[1])")
        case .sealedFileWrongKey: Wording("\(a[0]) was encrypted with another key (key id \(a[1])); the key in \(a[2]) has id \(a[3])",
                           notes: ["nothing was decrypted or written; set RAPPORT_KEY_FILE to the key the backup was made with"])
        case .segmentConditionInvalid: Wording("segment '\(a[0])' no longer checks: \(a[1])", notes: ["its condition is: \(a[2])", "save it again with replace, or delete it"])
        case .segmentExists: Wording("segment '\(a[0])' exists already, with another condition: \(a[1])", notes: ["to change it, write: save segment \"\(a[0])\" replace as ..."])
        case .segmentNested: Wording("a saved segment's condition cannot use another segment", notes: ["write that segment's condition out instead"])
        case .segmentWrongEntity: Wording("segment '\(a[0])' is a segment of \(a[1]), not of \(a[2])")
        case .settingFormatChoices: Wording("format is one of table, csv, json, jsonl, chart")
        case .settingNeedsOnOff: Wording("set \(a[0]) takes on or off")
        case .settingNowNeedsValue: Wording("set now takes a date or a time, or 'off'")
        case .shellOnlyCommand: Wording("'\(a[0])' works in the interactive shell only")
        case .snapshotDamaged: Wording("the snapshot \(a[0]) is damaged: \(a[1]); it was left untouched")
        case .snapshotFromNewerVersion: Wording("cannot open the store in \(a[0]): \(a[1]) was \(a[2]); it was left untouched")
        case .snapshotIncomplete: Wording("the snapshot was not completed: \(a[0]); the journal still holds every change")
        case .sortByList: Wording("cannot sort by the list field '\(a[0])'")
        case .storeExportNotEmpty: Wording("the directory \(a[0]) is not empty: export store writes into a new or empty directory")
        case .storeImportDamaged: Wording("cannot import the store from \(a[0]): \(a[1]); nothing was imported")
        case .storeImportTargetNotEmpty: Wording("import store fills an empty store; this one holds \(a[0])", notes: ["import into a new store directory or a database just made with init"])
        case .storeIsAFile: Wording("\(a[0]) is a file, not a store directory")
        case .storeLocked: Wording("\(a[0])")
        case .storeNotWritable: Wording("the store directory \(a[0]) is not writable (\(a[1])): opened read-only, changes will be refused")
        case .storeReadOnly: Wording("the store is open read-only")
        case .taskAlreadyDone: Wording("task \(a[0]) is done already (\(a[1]))",
                           notes: ["nothing was changed; add task customer: ..., owner: ..., text: \"...\", due: ... for a new one"])
        case .taskNotFound: Wording("no task with id '\(a[0])'")
        case .templateBraceUnclosed: Wording("'{' in the template is not closed", notes: ["write {field} for a customer's field, {{ and }} for a brace itself"])
        case .textComparedWith: Wording("cannot compare text with \(a[0]): '\(a[1])'")
        case .textInExpression: Wording("'\(a[0])' is text; an expression takes fields, numbers, dates and durations")
        case .textOperatorOnList: Wording("'\(a[0])' works on text; '\(a[1])' is a list",
                           notes: ["use: \(a[1]) has VALUE"])
        case .textOperatorOnType: Wording("'\(a[0])' works on text; '\(a[1])' is \(article(a[2]))")
        case .ticketNotFound: Wording("no ticket with id '\(a[0])'")
        case .ticketStepRefused: Wording("ticket \(a[0]) is \(a[1]): it cannot be \(a[2])", notes: [a[3]])
        case .timelineWrittenByCommands: Wording("the ticket timeline cannot be changed with \(a[0])",
                           notes: ["each ticket command (open ticket, reply, assign, wait, resolve, close, reopen) adds its own entry"])
        case .trainingProgressUnwritable: Wording("cannot save the training progress in \(a[0]): \(a[1])")
        case .typeMismatch: Wording("'\(a[0])' is \(article(a[1])) field; expected \(a[2]), found '\(a[3])'")
        case .unclosedParenthesis: Wording("expected ')' to close the '(' at \(a[0]), found \(a[1])")
        case .unexpectedCharacter: Wording("unexpected character '\(a[0])'")
        case .unknownCampaignClause: Wording("unknown campaign line '\(a[0])'", notes: ["a campaign block holds: target, every, when holiday, send, log contact, add points, open ticket, assign to, set; then end"])
        case .unknownChannel: Wording("unknown channel '\(a[0])'", notes: ["send takes sms, email, phone or wechat"])
        case .unknownCommand: Wording("unknown command '\(a[0])'")
        case .unknownDurationUnit: Wording("unknown duration unit '\(a[0])'",
                           notes: ["durations are written 90d, 36h, 30min, 10s, 2w, 3mo or 1y"])
        case .unknownEntity: Wording("unknown entity '\(a[0])'")
        case .unknownField: Wording("unknown field '\(a[0])'")
        case .unknownFileFormat: Wording("cannot tell the format of '\(a[0])': use .jsonl, .json or .csv")
        case .unknownHoliday: Wording("unknown holiday '\(a[0])'", notes: ["holidays: \(a[1])"])
        case .unknownOperator: Wording("unknown operator '\(a[0])'")
        case .unknownParameter: Wording("unknown parameter '\(a[0])'",
                           notes: [a[2].isEmpty ? "no parameters are defined: give one with --param \(a[1])=VALUE" : "the parameters are: \(a[2])"])
        case .unknownPeriod: Wording("unknown period function '\(a[0])'; by takes month, quarter, year, week or weekday")
        case .unknownPolicyKey: Wording("unknown policy key '\(a[0])'", notes: ["show policy lists every key"])
        case .unknownPolicyPrefix: Wording("no policy key starts with '\(a[0])'", notes: ["show policy lists every key"])
        case .unknownSegment: Wording("unknown segment '\(a[0])'", notes: ["show segments lists them"])
        case .unknownSetting: Wording("unknown setting '\(a[0])'")
        case .unknownTemplateField: Wording("unknown field '\(a[0])' in the template", notes: ["a template names customer fields, derived ones too: {name}, {points|number}; show fields customers lists them"])
        case .unknownTemplateFormat: Wording("unknown format '\(a[0])' in the template", notes: ["formats: {FIELD|date}, {FIELD|number} (grouped digits), {name|first} (the given name)"])
        case .unterminatedFieldName: Wording("unterminated field name: a name that opens with ` closes with `")
        case .unterminatedString: Wording("unterminated string")
        case .userOptionNeedsAdmin: Wording("--user needs an admin grant; \(a[0]) is granted \(a[1]) at most",
                                            notes: ["--user names who changes are recorded as, so only an admin may use it"])
        case .withinNeedsAnniversary: Wording("'within' means a yearly anniversary, as for birthdays; '\(a[0])' does not recur each year",
                           notes: ["\(a[1]) <= \(a[2]) holds where it was at most \(a[2]) ago"])
        case .withinNeedsDate: Wording("'within' works on dates; '\(a[0])' is \(article(a[1]))")
        case .withinNeedsDuration: Wording("'within' needs a duration, found '\(a[0])'",
                           notes: ["for example: \(a[1]) within 7d"])
        }
    }
}

/// A diagnostic's arguments, read by position; a missing one reads as empty rather than
/// trapping, since a message must never crash the program that reports it.
public struct DiagnosticArguments: Sendable {
    let values: [String]

    public init(_ values: [String]) { self.values = values }

    public subscript(index: Int) -> String { index < values.count ? values[index] : "" }
}
