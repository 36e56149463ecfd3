-- The programme dashboard's figures as bare SQL aggregates (P1's yardstick), run with psql.
SELECT stage, count(*) FROM champions GROUP BY stage;
SELECT count(*) FROM champions WHERE is_leader;
SELECT date(created_at), count(*) FROM champions GROUP BY date(created_at);
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
SELECT r.id, r.first_name, r.last_name, r.borough_code, count(c.id) AS recruits
  FROM champions r JOIN champions c ON c.recruited_by_id = r.id
  GROUP BY r.id, r.first_name, r.last_name, r.borough_code ORDER BY recruits DESC, r.id LIMIT 10;
