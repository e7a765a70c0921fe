/// The text of `help` and `help TOPIC`.
public enum Help {
    public static let overview = """
    Finding customers
      find customers where tier = gold and lastContact > 90d
      find customers where city in (上海, 北京) sort by totalSpent desc limit 10 show id, name, totalSpent
      count customers by tier          sum totalSpent of customers by city
      show customer C000001            show fields customers
    Changing data
      add customer name: "王芳", tier: gold, birthday: 1990-02-14
      update customers where id = C000001 set tier = platinum
      delete customers where stage = lost and lastContact > 3y
      log contact C000001 via phone "quarterly revisit"
      log purchase C000001 amount 1200 "tea set"
      open ticket C000001 complaint "late delivery" priority high
    Files and settings
      import customers from "customers.csv"     export customers where tier = gold to "gold.jsonl"
      save                                      set format csv | set dry-run on | set timer on | set now 2026-11-01
    Type help TOPIC for more: find, count, operators, dates, fields, changes, import.
    """

    static let topics: [String: String] = [
        "find": """
        find ENTITY [where COND] [sort by FIELD [asc|desc], ...] [limit N [offset M]] [show FIELD, ... | show *]
          find customers where tier = gold and lastContact > 90d
          find customers where name contains "芳" sort by points desc limit 5 show id, name, points
          find tickets where status = open and priority in (high, urgent)
        Results are ordered by the sort keys, then by id; missing values sort last.
        """,
        "count": """
        count ENTITY [where COND] [by FIELD]
        sum|avg|min|max FIELD of ENTITY [where COND] [by FIELD]
          count customers by tier
          avg totalSpent of customers where stage = active by city
        """,
        "operators": """
        =  !=  <  <=  >  >=        comparison; = and != ignore case on text
        in (a, b)  not in (a, b)   membership
        between A and B            inclusive range
        contains, starts with, ends with   text tests, ignoring case
        has V, has any (..), has all (..)  list fields such as tags
        is null, is not null       missing or present
        within 7d                  the next yearly recurrence (birthdays) is at most 7 days ahead
        and, or, not, ( )          `and` binds tighter than `or`
          find customers where tags has vip and not (stage = lost)
        """,
        "dates": """
        Dates are written 2026-11-01, today, yesterday. Durations: 90d, 36h, 2w, 3mo (30 days), 1y (365 days).
        A date compared with a duration compares its age in days:
          lastContact > 90d     last contact more than 90 days ago
          lastContact <= 30d    at most 30 days ago
          birthday within 7d    birthday in the coming week (29 February counts as 28 February in other years)
        """,
        "changes": """
          add customer id: "C9", name: "王芳", tier: gold, tags: (vip, new)
          update customers where COND set FIELD = VALUE, ...
          delete customers where COND      (also deletes their contacts, purchases and tickets)
          log contact ID via phone|visit|email|sms|wechat "NOTE"
          log purchase ID amount 1200 ["PRODUCT"]     (updates totalSpent, purchaseCount, points, lastPurchase)
          open ticket ID inquiry|complaint|suggestion "TEXT" [priority low|normal|high|urgent]
        Every change is journaled and fsync'ed before the command returns. --dry-run shows what would change.
        """,
        "import": """
          import customers from "FILE.jsonl"   (also .json arrays and .csv with a header row)
          export customers [where COND] to "FILE.csv"
        Import is all or nothing: a bad row rejects the file with its line number.
        Unknown keys become custom fields, typed from their values. In CSV, list items are separated by ';'.
        """,
        "fields": """
        show fields [ENTITY] lists every field with its type, custom fields included.
        customers: id, name, email, phone, city, owner, tier, grade, stage, birthday, createdAt,
                   lastContact, lastPurchase, totalSpent, purchaseCount, points, satisfaction, tags
        contacts: id, customer, date, channel, note, by
        purchases: id, customer, date, amount, product
        tickets: id, customer, kind, text, priority, status, openedAt, closedAt, owner
        """,
    ]

    public static func text(topic: String?) -> String {
        guard let topic else { return overview + "\n" }
        let key = topic.lowercased()
        let aliases = ["sum": "count", "avg": "count", "min": "count", "max": "count", "where": "operators",
                       "update": "changes", "add": "changes", "delete": "changes", "log": "changes",
                       "export": "import", "duration": "dates", "durations": "dates", "within": "dates"]
        if let t = topics[key] ?? aliases[key].flatMap({ topics[$0] }) { return t + "\n" }
        let suggestion = nearestName(to: key, among: Array(topics.keys))
        return "no help on '\(topic)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "") + "\n" + overview + "\n"
    }
}
