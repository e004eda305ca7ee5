-- Ratings corrected and withdrawn by their platform: every version of a
-- rating is a row of ratings, status saying which ('received',
-- 'corrected', 'withdrawn'; a withdrawal row keeps the interaction and the
-- agent, and zeroes the rest).
ALTER TABLE ratings ADD COLUMN status {{lowcard}} DEFAULT 'received';

-- Nudges: why, and about whom (a gap nudge names the member not recognised).
ALTER TABLE nudges ADD COLUMN reason {{lowcard}} DEFAULT '';
ALTER TABLE nudges ADD COLUMN about String DEFAULT '';

-- The rating of each interaction as it now stands; withdrawn ratings are
-- left out.
CREATE VIEW IF NOT EXISTS ratings_current AS
SELECT
    tenant,
    platform,
    interaction_id,
    argMax(r_event_id, r_seq) AS event_id,
    argMax(r_agent, r_seq) AS agent,
    argMax(r_agent_team, r_seq) AS agent_team,
    argMax(r_score, r_seq) AS score,
    argMax(r_scale, r_seq) AS scale,
    argMax(r_comment, r_seq) AS comment,
    argMax(r_channel, r_seq) AS channel,
    argMax(r_handle_time_seconds, r_seq) AS handle_time_seconds,
    argMax(r_occurred_at, r_seq) AS occurred_at,
    argMax(r_status, r_seq) AS status
FROM
(
    SELECT tenant, platform, interaction_id, stream_seq AS r_seq, event_id AS r_event_id, agent AS r_agent,
        agent_team AS r_agent_team, score AS r_score, scale AS r_scale, comment AS r_comment, channel AS r_channel,
        handle_time_seconds AS r_handle_time_seconds, occurred_at AS r_occurred_at, status AS r_status
    FROM ratings FINAL
)
GROUP BY tenant, platform, interaction_id
HAVING status != 'withdrawn';

-- Conversion counts each interaction once, as its rating now stands, and
-- the kudos any version of it earned that was not retracted.
DROP TABLE IF EXISTS rating_conversion;

CREATE VIEW IF NOT EXISTS rating_conversion AS
SELECT
    tenant,
    platform,
    toMonday(occurred_at) AS week,
    count() AS ratings,
    countIf(kudos_time != toDateTime(0)) AS converted,
    round(converted / ratings, 4) AS conversion,
    quantileExactIf(0.5)(toInt64(toUnixTimestamp(kudos_time)) - toInt64(toUnixTimestamp(occurred_at)), kudos_time != toDateTime(0)) AS median_delay_seconds,
    maxIf(toInt64(toUnixTimestamp(kudos_time)) - toInt64(toUnixTimestamp(occurred_at)), kudos_time != toDateTime(0)) AS max_delay_seconds
FROM
(
    SELECT tenant, platform, interaction_id, occurred_at
    FROM ratings_current
)
ANY LEFT JOIN
(
    SELECT tenant, platform, interaction_id, min(first_kudos) AS kudos_time
    FROM
    (
        SELECT tenant, cause_event_id AS event_id, min(time) AS first_kudos
        FROM kudos_live
        WHERE cause_type IN ('plaudit.feedback.rating_received.v1', 'plaudit.feedback.rating_corrected.v1')
        GROUP BY tenant, event_id
    )
    ALL INNER JOIN
    (
        SELECT tenant, event_id, platform, interaction_id
        FROM ratings FINAL
    ) USING (tenant, event_id)
    GROUP BY tenant, platform, interaction_id
) USING (tenant, platform, interaction_id)
GROUP BY tenant, platform, week;

-- One row per nudge: what it was, when it was issued and delivered (0
-- while it waits for the member's quiet hours to end, or when it was
-- cancelled), how the member answered, and why it was cancelled.
CREATE VIEW IF NOT EXISTS nudge_outcomes AS
SELECT
    tenant,
    nudge_id,
    anyIf(n_member, n_state = 'issued') AS member,
    anyIf(n_kind, n_state = 'issued') AS kind,
    anyIf(n_reason, n_state = 'issued') AS reason,
    anyIf(n_about, n_state = 'issued') AS about,
    minIf(n_time, n_state = 'issued') AS issued_at,
    minIf(n_time, n_state = 'delivered') AS delivered_at,
    maxIf(toUInt8(1), n_state = 'acknowledged') AS acknowledged,
    maxIf(toUInt8(1), n_state = 'dismissed') AS dismissed,
    anyIf(n_reason, n_state = 'cancelled') AS cancelled
FROM
(
    SELECT tenant, nudge_id, member AS n_member, kind AS n_kind, reason AS n_reason, about AS n_about,
        time AS n_time, state AS n_state
    FROM nudges FINAL
)
GROUP BY tenant, nudge_id;
