-- How far the analytics projector got: one row per batch, inserted after
-- every table of the batch. One row in one partition, so its insert is
-- atomic, unlike a batch of events spanning months; the projector resumes
-- after max(stream_seq). Analysts can ignore it.
CREATE TABLE IF NOT EXISTS plaudit_progress (
    stream_seq  UInt64,
    inserted_at DateTime
) ENGINE = MergeTree()
ORDER BY stream_seq;
