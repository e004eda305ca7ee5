-- Every event of the stream, as it was stored: the common CloudEvents
-- attributes and the event's data as JSON. Keyed by event id: a replay or a
-- redelivery inserts rows that merge away (read with FINAL, or count
-- distinct event ids).
CREATE TABLE IF NOT EXISTS events (
    event_id   String,
    tenant     {{lowcard}},
    type       {{lowcard}},
    subject    String,
    stream_seq UInt64,
    time       {{datetime}},
    stored_at  {{datetime}},
    source     String,
    data       String
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (tenant, event_id);
