-- Weekly recognition density per team: moments received by the team's
-- members in the week (by the team they were in then), how many of them were
-- recognised, by how many givers, and moments per active member now.
CREATE VIEW IF NOT EXISTS weekly_density_by_team AS
SELECT
    tenant,
    week,
    team,
    moments,
    recognised,
    givers,
    active_members,
    if(active_members = 0, 0, round(moments / active_members, 4)) AS moments_per_member
FROM
(
    SELECT tenant, toMonday(time) AS week, recipient_team AS team,
           count() AS moments, uniqExact(recipient) AS recognised, uniqExact(giver) AS givers
    FROM kudos_live
    GROUP BY tenant, week, team
)
ANY LEFT JOIN
(
    SELECT tenant, team, count() AS active_members
    FROM members FINAL
    WHERE active = 1 AND has_left = 0
    GROUP BY tenant, team
) USING (tenant, team);

-- Recognition gaps: every active member now, when they were last
-- recognised and the whole days since (both NULL when never). Filter on
-- days_since for a gap list.
CREATE VIEW IF NOT EXISTS recognition_gaps AS
SELECT
    tenant,
    member,
    team,
    if(last = toDateTime(0), NULL, last) AS last_recognised,
    if(last = toDateTime(0), NULL, intDiv(toUnixTimestamp(now()) - toUnixTimestamp(last), 86400)) AS days_since
FROM
(
    SELECT tenant, member, team
    FROM members FINAL
    WHERE active = 1 AND has_left = 0
)
ANY LEFT JOIN
(
    SELECT tenant, recipient AS member, max(time) AS last
    FROM kudos_live
    GROUP BY tenant, member
) USING (tenant, member);

-- Customer ratings turned into recognition, per platform and week of the
-- rating: how many ratings, how many became kudos (through the rules
-- engine, cause = the rating), and the delay from the rating's occurred-at
-- to the kudos.
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
    SELECT tenant, event_id, platform, occurred_at
    FROM ratings FINAL
)
ANY LEFT JOIN
(
    SELECT tenant, cause_event_id AS event_id, min(time) AS kudos_time
    FROM kudos_live
    WHERE cause_type = 'plaudit.feedback.rating_received.v1'
    GROUP BY tenant, event_id
) USING (tenant, event_id)
GROUP BY tenant, platform, week;
