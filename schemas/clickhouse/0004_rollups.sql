-- Recognition moments by day, recipient team and company value, kept by a
-- materialized view as kudos are inserted. Its rows are keyed by moment
-- (kudos and recipient), not summed, so that a replay or a redelivery
-- merges away instead of counting twice; kudos_daily sums them.
CREATE MATERIALIZED VIEW IF NOT EXISTS kudos_moments_daily
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (tenant, day, team, value, event_id, recipient)
AS SELECT
    tenant,
    toDate(time) AS day,
    recipient_team AS team,
    arrayJoin(if(empty(company_values), [''], company_values)) AS value,
    event_id,
    recipient,
    points
FROM kudos_recipients;

-- Kudos not retracted, one row per moment.
CREATE VIEW IF NOT EXISTS kudos_live AS
SELECT *
FROM kudos_recipients FINAL
WHERE (tenant, event_id) NOT IN (SELECT tenant, kudos_id FROM kudos_retractions);

-- Moments and points by day, team and value; value '' is kudos without one.
CREATE VIEW IF NOT EXISTS kudos_daily AS
SELECT tenant, day, team, value, count() AS moments, sum(points) AS points
FROM kudos_moments_daily FINAL
WHERE (tenant, event_id) NOT IN (SELECT tenant, kudos_id FROM kudos_retractions)
GROUP BY tenant, day, team, value;
