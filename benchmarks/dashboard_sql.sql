-- The programme dashboard's figures as bare SQL aggregates (P1's yardstick), run with psql.
SELECT stage, count(*) FROM champions GROUP BY stage;
SELECT count(*) FROM champions WHERE is_leader;
SELECT date(created_at), count(*) FROM champions GROUP BY date(created_at);
-- The funnel, grouped in index order as the app asks (core.db.in_index_order).
SET enable_hashjoin = off;
SET enable_hashagg = off;
WITH firsts AS (
  SELECT champion_id,
         min(changed_at) FILTER (WHERE to_stage = 'registered') AS s0,
         min(changed_at) FILTER (WHERE to_stage = 'verified') AS s1,
         min(changed_at) FILTER (WHERE to_stage = 'trained') AS s2,
         min(changed_at) FILTER (WHERE to_stage = 'active') AS s3
  FROM stage_changes GROUP BY champion_id
)
SELECT count(s0), count(s1), count(s2), count(s3),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s1 - s0) / 86400),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s2 - s1) / 86400),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM s3 - s2) / 86400)
FROM firsts;
RESET enable_hashjoin;
RESET enable_hashagg;
SELECT stage, count(*) FROM champions WHERE stage IN ('lapsed', 'withdrawn') GROUP BY stage;
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*) AS joined,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 30 <= current_date) AS eligible_1,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 30 <= current_date
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 30) AS active_1,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 90 <= current_date) AS eligible_3,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 90 <= current_date
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 90) AS active_3,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 180 <= current_date) AS eligible_6,
  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date + 180 <= current_date
                   AND last_activity_on >= (created_at AT TIME ZONE 'UTC')::date + 180) AS active_6
FROM champions GROUP BY 1 ORDER BY 1;
SELECT borough_code, count(*) FROM champions WHERE stage <> 'withdrawn' GROUP BY borough_code;
SELECT borough_code, count(*) FROM champions WHERE is_leader GROUP BY borough_code;
SELECT borough_code, count(*), coalesce(sum(people_reached), 0) FROM activities GROUP BY borough_code;
SELECT topic_code, count(*) FROM champion_topics GROUP BY topic_code;
SELECT topic_code, count(*), coalesce(sum(people_reached), 0) FROM activities GROUP BY topic_code;
SELECT count(*), coalesce(sum(people_reached), 0) FROM activities;
SELECT count(*), count(recruited_by_id) FROM champions;
WITH RECURSIVE chain(id, depth) AS (
  SELECT id, 0 FROM champions WHERE recruited_by_id IS NULL
  UNION ALL SELECT c.id, chain.depth + 1 FROM champions c JOIN chain ON c.recruited_by_id = chain.id
) SELECT coalesce(max(depth), 0) FROM chain;
SELECT r.id, r.first_name, r.last_name, b.name, counts.recruits
  FROM (SELECT recruited_by_id AS id, count(*) AS recruits FROM champions WHERE recruited_by_id IS NOT NULL
        GROUP BY recruited_by_id ORDER BY recruits DESC, recruited_by_id) counts
  JOIN champions r ON r.id = counts.id LEFT JOIN boroughs b ON b.code = r.borough_code
  ORDER BY counts.recruits DESC, counts.id LIMIT 10;
-- What came of it: the people reached by the types of activity that record outcomes, how many of those
-- activities have one, and the four sums (signposted, said they would act, did act, said where did is known)
-- by service, the activity's topic, type, borough and month: one grouped pass, whose cells add up to each table.
-- Each outcome keeps a copy of its activity's type, date, borough and topic, so the last two read the outcomes alone.
SELECT type, count(*), coalesce(sum(people_reached), 0) FROM activities
  WHERE type IN ('conversation', 'stall_or_event', 'group_talk', 'signposting') GROUP BY type;
SELECT activity_type, count(DISTINCT activity_id) FROM activity_outcomes GROUP BY activity_type;
SELECT outcome_code, activity_topic_code, activity_type, activity_borough_code, to_char(activity_occurred_on, 'YYYY-MM'),
       sum(signposted), sum(said_would_act), sum(did_act), sum(CASE WHEN did_act IS NOT NULL THEN said_would_act ELSE 0 END)
  FROM activity_outcomes GROUP BY 1, 2, 3, 4, 5;
-- Nudge effect: for each onboarding rule, sent against held out: how many did the target action within the
-- rule's 14 days, and the people each signposted to a service in those days (how many signposted anyone, the
-- sum and the sum of squares). (The other rules have no messages in the generated data: the app's queries for
-- them find nothing through the rule index.) Joined by merging, as the app asks (core.db.in_index_order; its
-- query groups nothing, so only the joins' setting is the app's).
SET enable_hashjoin = off;
WITH each AS MATERIALIZED (
  SELECT m.status,
         (u.email_verified_at >= m.created_at AND u.email_verified_at < m.created_at + interval '14 days') AS acted,
         (SELECT coalesce(sum(o.signposted), 0) FROM activity_outcomes o
           WHERE o.champion_id = c.id
             AND o.activity_created_at >= m.created_at
             AND o.activity_created_at < m.created_at + interval '14 days') AS people
  FROM nudge_messages m JOIN nudge_rules r ON r.id = m.rule_id LEFT JOIN champions c ON c.user_id = m.user_id
    LEFT JOIN users u ON u.id = m.user_id
  WHERE r.key = 'verify-email' AND m.status IN ('sent', 'holdout') AND m.created_at <= now() - interval '14 days'
)
SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'sent' AND acted),
       count(*) FILTER (WHERE status = 'sent' AND people > 0), sum(people) FILTER (WHERE status = 'sent'),
       sum(people * people) FILTER (WHERE status = 'sent'),
       count(*) FILTER (WHERE status = 'holdout'), count(*) FILTER (WHERE status = 'holdout' AND acted),
       count(*) FILTER (WHERE status = 'holdout' AND people > 0), sum(people) FILTER (WHERE status = 'holdout'),
       sum(people * people) FILTER (WHERE status = 'holdout')
  FROM each;
WITH each AS MATERIALIZED (
  SELECT r.key, m.status,
         EXISTS (SELECT 1 FROM stage_changes s
           WHERE s.champion_id = c.id AND s.to_stage = CASE r.key WHEN 'start-training' THEN 'trained' ELSE 'active' END
           AND s.changed_at >= m.created_at AND s.changed_at < m.created_at + interval '14 days') AS acted,
         (SELECT coalesce(sum(o.signposted), 0) FROM activity_outcomes o
           WHERE o.champion_id = c.id
             AND o.activity_created_at >= m.created_at
             AND o.activity_created_at < m.created_at + interval '14 days') AS people
  FROM nudge_messages m JOIN nudge_rules r ON r.id = m.rule_id LEFT JOIN champions c ON c.user_id = m.user_id
  WHERE r.key IN ('start-training', 'pledge-and-first-activity') AND m.status IN ('sent', 'holdout')
    AND m.created_at <= now() - interval '14 days'
)
SELECT key, count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'sent' AND acted),
       count(*) FILTER (WHERE status = 'sent' AND people > 0), sum(people) FILTER (WHERE status = 'sent'),
       sum(people * people) FILTER (WHERE status = 'sent'),
       count(*) FILTER (WHERE status = 'holdout'), count(*) FILTER (WHERE status = 'holdout' AND acted),
       count(*) FILTER (WHERE status = 'holdout' AND people > 0), sum(people) FILTER (WHERE status = 'holdout'),
       sum(people * people) FILTER (WHERE status = 'holdout')
  FROM each GROUP BY key;
RESET enable_hashjoin;
