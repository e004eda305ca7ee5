-- Members as a versioned dimension. members_history keeps every version
-- (one row per directory event); members keeps the newest (the stream
-- sequence is the version): read it with FINAL for the directory now.
CREATE TABLE IF NOT EXISTS members_history (
    event_id   String,
    tenant     {{lowcard}},
    member     String,
    version    UInt64,
    valid_from {{datetime}},
    name       String,
    team       String,
    manager    String,
    time_zone  String,
    active     UInt8,
    has_left   UInt8
) ENGINE = ReplacingMergeTree()
ORDER BY (tenant, member, version);

CREATE TABLE IF NOT EXISTS members (
    tenant     {{lowcard}},
    member     String,
    version    UInt64,
    valid_from {{datetime}},
    name       String,
    team       String,
    manager    String,
    time_zone  String,
    active     UInt8,
    has_left   UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, member);
