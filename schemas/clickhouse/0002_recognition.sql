-- One row per recipient of each kudos given, with the teams of the giver
-- and the recipient when it was given.
CREATE TABLE IF NOT EXISTS kudos_recipients (
    event_id       String,
    tenant         {{lowcard}},
    time           {{datetime}},
    stream_seq     UInt64,
    giver          String,
    giver_team     String,
    recipient      String,
    recipient_team String,
    points         UInt32,
    company_values Array(String),
    visibility     {{lowcard}},
    channel        {{lowcard}},
    cause_type     String,
    cause_event_id String,
    period         String,
    message        String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id, recipient);

-- Kudos withdrawn: their recipients' rows no longer count in the views.
CREATE TABLE IF NOT EXISTS kudos_retractions (
    event_id   String,
    tenant     {{lowcard}},
    time       {{datetime}},
    stream_seq UInt64,
    kudos_id   String,
    giver      String,
    retracted_by String,
    by_role    {{lowcard}},
    reason     String,
    refunded   UInt32
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id);

CREATE TABLE IF NOT EXISTS reactions (
    event_id   String,
    tenant     {{lowcard}},
    time       {{datetime}},
    stream_seq UInt64,
    kudos_id   String,
    member     String,
    emoji      String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id);

-- Customer ratings, with the agent's team when the rating was recorded.
CREATE TABLE IF NOT EXISTS ratings (
    event_id            String,
    tenant              {{lowcard}},
    time                {{datetime}},
    stream_seq          UInt64,
    platform            String,
    interaction_id      String,
    agent               String,
    agent_team          String,
    score               UInt8,
    scale               {{lowcard}},
    comment             String,
    channel             {{lowcard}},
    handle_time_seconds UInt32,
    occurred_at         {{datetime}}
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id);

-- Nudges to members (issued, delivered, acknowledged, dismissed): filled by
-- the rules engine's events.
CREATE TABLE IF NOT EXISTS nudges (
    event_id       String,
    tenant         {{lowcard}},
    time           {{datetime}},
    stream_seq     UInt64,
    nudge_id       String,
    kind           {{lowcard}},
    member         String,
    state          {{lowcard}},
    cause_event_id String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id);
