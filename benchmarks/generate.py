"""Fill a PostgreSQL database with champions at scale, fast: COPY in bulk, not the ORM row by row.

    python -m benchmarks.generate --champions 100000 --activities 2000000

Uses BENCH_DATABASE_URL (default: a database `champions_bench` on the local server, created if missing),
which is emptied and migrated to head first.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import text

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/champions_bench"
BOROUGHS = [
    "bolton",
    "bury",
    "manchester",
    "oldham",
    "rochdale",
    "salford",
    "stockport",
    "tameside",
    "trafford",
    "wigan",
]
TOPICS = ["smoking", "alcohol", "diet", "physical_activity", "sun_safety", "screening", "early_diagnosis", "hpv"]
STAGES = ["registered", "verified", "trained", "active", "lapsed", "withdrawn"]
STAGE_WEIGHTS = [15, 20, 15, 35, 12, 3]
TYPES = ["conversation", "stall_or_event", "group_talk", "social_media", "signposting", "training_others", "other"]
FIRST_NAMES = (
    "Aisha Amir Ann Ben Chloe Dan Deepa Eve Fatima Grace Hassan Ivy Jack Jo Kai Leah Liam Maya Mohammed Nia Noah "
    "Olu Priya Ravi Rosa Sam Sara Tom Una Wei Yusuf Zoe Alan Bilal Carmen Dev Ellie Femi Gus Hana"
).split()
LAST_NAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts "
    "Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose Davis Rodriguez Cox Alexander "
    "Begum Hussain Ali Ahmed Shah Chen Nowak Kowalski Okafor Mensah Murphy Kelly Doyle Byrne Hughes Morgan Price"
).split()
POSTCODE_AREAS = ["M", "BL", "OL", "SK", "WN", "M", "M"]
OUTCOME_KINDS = ["bowel_screening", "breast_screening", "cervical_screening", "lung_health_check", "stop_smoking"]
OUTCOME_KINDS += ["nhs_health_check", "gp_symptom", "hpv_vaccination", "other"]


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def bench_app():
    """The app on the benchmark database, emptied and at the head migration."""
    os.environ["CHAMPIONS_ENV"] = "testing"
    os.environ["TEST_DATABASE_URL"] = bench_url()
    ensure_database(bench_url())
    from flask_migrate import upgrade

    from champions import create_app
    from champions.extensions import db

    app = create_app("testing")
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


def _copy(cur, table: str, columns: list[str], rows) -> int:
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def copy_organisations(cur, organisations, now: datetime) -> int:
    """Grassroots organisations by COPY, each given as (id, name, engagement level), its duplicate key made from its
    name (the generated names are letters, digits and spaces, so their key is the name in lower case)."""
    return _copy(
        cur,
        "organisations",
        ["id", "name", "normalised_name", "type", "engagement_level", "created_at", "updated_at"],
        ((i, name, name.lower(), "grassroots", level, now, now) for i, name, level in organisations),
    )


def generate(
    conn: psycopg.Connection,
    champions: int,
    activities: int,
    applications: int = 0,
    seed: int = 2017,
    nudge_history: bool = True,
    check_keys: bool = False,
) -> dict[str, int]:
    """Users, champions, consents, stage history, topics, activities and grant applications. Returns row counts.
    ``check_keys``: check every foreign key as the rows go in, as any other writer must (P4's yardstick)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = now - timedelta(days=3 * 365)
    joined = [start + timedelta(seconds=rng.random() * (now - start).total_seconds()) for _ in range(champions)]
    stages = rng.choices(STAGES, STAGE_WEIGHTS, k=champions)
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"
    firsts = rng.choices(FIRST_NAMES, k=champions)
    lasts = rng.choices(LAST_NAMES, k=champions)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcodes = [
        f"{rng.choice(POSTCODE_AREAS)}{rng.randint(1, 40)} {rng.randint(0, 9)}{''.join(rng.choices(letters, k=2))}"
        for _ in range(champions)
    ]
    counts = {}
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cur.fetchone()[0] and not check_keys:
            # The rows are consistent by construction: checking every foreign key one row at a time would take
            # most of the time at a million champions. Only a superuser may skip the checks; others wait.
            cur.execute("SET LOCAL session_replication_role = replica")
        counts["users"] = _copy(
            cur,
            "users",
            ["id", "email", "password_hash", "role", "active", "session_version", "created_at", "email_verified_at"],
            (
                (
                    i + 1,
                    f"{firsts[i]}.{lasts[i]}.{i + 1}@example.org".lower(),
                    hashed,
                    "champion",
                    True,
                    1,
                    joined[i],
                    None if stages[i] == "registered" else joined[i] + timedelta(days=1),
                )
                for i in range(champions)
            ),
        )
        counts["champions"] = _copy(
            cur,
            "champions",
            [
                "id",
                "user_id",
                "first_name",
                "last_name",
                "borough_code",
                "postcode",
                "stage",
                "referral_code",
                "recruited_by_id",
                "is_leader",
                "created_at",
                "updated_at",
                "last_activity_on",
            ],
            (
                (
                    i + 1,
                    i + 1,
                    firsts[i],
                    lasts[i],
                    rng.choice(BOROUGHS),
                    postcodes[i],
                    stages[i],
                    f"B{i + 1:09d}",
                    rng.randint(1, i) if i and rng.random() < 0.35 else None,
                    False,
                    joined[i],
                    joined[i],
                    (now - timedelta(days=rng.randint(0, 120))).date() if stages[i] in ("active", "lapsed") else None,
                )
                for i in range(champions)
            ),
        )
        counts["consent_records"] = _copy(
            cur,
            "consent_records",
            ["user_id", "purpose", "granted", "wording_version", "recorded_at", "source"],
            (
                row
                for i in range(champions)
                for row in (
                    (i + 1, "privacy_notice", True, "privacy-2026-11", joined[i], "web"),
                    (i + 1, "email_contact", rng.random() < 0.7, "email-2026-11", joined[i], "web"),
                )
            ),
        )
        order = {s: n for n, s in enumerate(STAGES)}
        counts["stage_changes"] = _copy(
            cur,
            "stage_changes",
            ["champion_id", "from_stage", "to_stage", "reason", "changed_at"],
            (
                (i + 1, STAGES[k - 1] if k else None, STAGES[k], "generated", joined[i] + timedelta(days=3 * k))
                for i in range(champions)
                for k in range(min(order[stages[i]], 4) + 1)
            ),
        )
        if nudge_history:
            counts["nudge_messages"] = _nudge_history(cur, stages, joined)
        counts["champion_topics"] = _copy(
            cur,
            "champion_topics",
            ["champion_id", "topic_code"],
            ((i + 1, topic) for i in range(champions) for topic in rng.sample(TOPICS, rng.randint(1, 3))),
        )
        counts["activities"] = _activities(cur, activities, seed, now)
        cur.execute("SELECT count(*) FROM activity_outcomes")
        counts["activity_outcomes"] = cur.fetchone()[0]
        for table in ("users", "champions"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {champions})")
        counts.update(_grants(cur, rng, applications, now))
    conn.commit()
    return counts


def _activities(cur, activities: int, seed: int, now: datetime) -> int:
    """Activities by those who have been active (active, lapsed or withdrawn), made by the database itself
    (generate_series, seeded random()): tens of millions of rows would take Python many minutes to send."""
    if not activities:
        return 0
    # Built afterwards, each index is one sort rather than millions of scattered insertions.
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'activities' AND indexname <> 'pk_activities'"
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SELECT setseed(%s)", (((seed % 1000) / 1000),))
    cur.execute(
        """
        INSERT INTO activities
            (champion_id, type, occurred_on, borough_code, topic_code, people_reached, created_at, updated_at)
        SELECT d.ids[1 + floor(random() * d.n)::int],
               (%(types)s::text[])[1 + floor(random() * %(n_types)s)::int],
               %(today)s::date - floor(random() * 701)::int,
               (%(boroughs)s::text[])[1 + floor(random() * %(n_boroughs)s)::int],
               (%(topics)s::text[])[1 + floor(random() * %(n_topics)s)::int],
               (ARRAY[1, 1, 2, 3, 5, 10, 25])[1 + floor(random() * 7)::int],
               %(now)s, %(now)s
        FROM (SELECT coalesce(array_agg(id ORDER BY id), ARRAY[1]) AS ids, greatest(count(*), 1) AS n
              FROM champions WHERE stage IN ('active', 'lapsed', 'withdrawn')) d,
             generate_series(1, %(count)s)
        """,
        {
            "types": TYPES,
            "n_types": len(TYPES),
            "boroughs": BOROUGHS,
            "n_boroughs": len(BOROUGHS),
            "topics": TOPICS,
            "n_topics": len(TOPICS),
            "today": now.date(),
            "now": now,
            "count": activities,
        },
    )
    made = cur.rowcount
    # What came of one in ten conversations, stalls, talks and signpostings: a service each, some of the people
    # reached signposted to it, some of them saying they would act and, for half, whether they did.
    cur.execute(
        """
        INSERT INTO activity_outcomes
            (activity_id, champion_id, activity_created_at, activity_type, activity_occurred_on,
             activity_borough_code, activity_topic_code, outcome_code, signposted, said_would_act, did_act,
             created_at, updated_at)
        SELECT id, champion_id, created_at, type, occurred_on, borough_code, topic_code,
               (%(kinds)s::text[])[1 + floor(random() * %(n_kinds)s)::int], s, w,
               CASE WHEN random() < 0.5 THEN floor(random() * (w + 1))::int END, %(now)s, %(now)s
        FROM (SELECT a.id, a.champion_id, a.created_at, a.type, a.occurred_on, a.borough_code, a.topic_code,
                     1 + floor(random() * a.people_reached)::int AS s
              FROM activities a
              WHERE a.type IN ('conversation', 'stall_or_event', 'group_talk', 'signposting') AND random() < 0.1) o,
             LATERAL (SELECT floor(random() * (o.s + 1))::int AS w) said
        """,
        {"kinds": OUTCOME_KINDS, "n_kinds": len(OUTCOME_KINDS), "now": now},
    )
    cur.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        cur.execute(definition)
    cur.execute("RESET maintenance_work_mem")
    return made


def _nudge_history(cur, stages: list[str], joined: list[datetime]) -> int:
    """A load of onboarding nudges shaped like the engine's, not a replay of it: the email reminder to everyone
    two days after signing up, the training reminder to those still only verified, the first-activity one to
    those still only trained (consent is not consulted); sent or held out by the engine's stable hash. They
    give the dashboard's nudge-effect figures real work."""
    from champions.nudges.evaluation import holdout_bucket_of, period_of

    cur.execute("SELECT key, id, holdout_percent, period_days FROM nudge_rules")
    rules = {key: (rule_id, holdout, period) for key, rule_id, holdout, period in cur.fetchall()}
    plan = [("verify-email", None, 2), ("start-training", "verified", 10), ("pledge-and-first-activity", "trained", 13)]

    def rows():
        for i in range(len(stages)):
            for key, only_at, days in plan:
                if only_at is not None and stages[i] != only_at:
                    continue
                rule_id, holdout, period = rules[key]
                held = holdout_bucket_of(i + 1, rule_id) < holdout
                at = joined[i] + timedelta(days=days)
                status = "holdout" if held else "sent"
                yield (
                    rule_id,
                    i + 1,
                    period_of(at, period),
                    status,
                    at,
                    at,
                    None if held else at,
                    0 if held else 1,
                )

    return _copy(
        cur,
        "nudge_messages",
        ["rule_id", "user_id", "period", "status", "created_at", "due_at", "sent_at", "attempts"],
        rows(),
    )


GRANT_STATUSES = [
    "draft",
    "eligible",
    "ineligible",
    "under_review",
    "approved",
    "declined",
    "paid_part",
    "paid_full",
    "reported",
    "closed",
]
AUDIT_STEPS = {
    "draft": 0,
    "eligible": 1,
    "ineligible": 1,
    "under_review": 2,
    "approved": 3,
    "declined": 3,
    "paid_part": 4,
    "paid_full": 4,
    "reported": 5,
    "closed": 6,
}


def _grants(cur, rng: random.Random, applications: int, now: datetime) -> dict[str, int]:
    """Groups, one fund with ten rounds, applications in every state, their boroughs and their audit history."""
    if not applications:
        return {}
    groups = max(applications // 2, 1)
    counts = {
        "organisations": copy_organisations(
            cur, ((i, f"Community group {i}", "engaged") for i in range(1, groups + 1)), now
        )
    }
    cur.execute(
        "INSERT INTO grant_funds (id, name, funder_organisation, created_at) "
        "VALUES (1, 'Small Sparks', 'Greater Manchester Cancer', now())"
    )
    _copy(
        cur,
        "grant_rounds",
        [
            "id",
            "fund_id",
            "name",
            "budget_pence",
            "min_award_pence",
            "max_award_pence",
            "themes",
            "opens_at",
            "closes_at",
            "reviewers_per_application",
            "created_at",
            "updated_at",
        ],
        (
            (
                r,
                1,
                f"Round {r}",
                6_000_000,
                10_000,
                200_000,
                '["Social isolation"]',
                now - timedelta(days=400 - 30 * r),
                now - timedelta(days=370 - 30 * r),
                2,
                now,
                now,
            )
            for r in range(1, 11)
        ),
    )
    statuses = [rng.choice(GRANT_STATUSES) for _ in range(applications)]
    counts["grant_applications"] = _copy(
        cur,
        "grant_applications",
        [
            "id",
            "round_id",
            "organisation_id",
            "status",
            "contact_name",
            "contact_email",
            "contact_phone",
            "title",
            "summary",
            "activities",
            "beneficiaries",
            "amount_requested_pence",
            "award_pence",
            "eligibility_problems",
            "created_at",
            "updated_at",
        ],
        (
            (
                i + 1,
                rng.randint(1, 10),
                rng.randint(1, groups),
                statuses[i],
                "Pat Contact",
                f"group{i}@example.org",
                "",
                f"Project {i + 1}",
                "A project",
                "Activities",
                "Neighbours",
                130_000,
                130_000 if statuses[i] in ("approved", "paid_part", "paid_full", "reported", "closed") else None,
                "[]",
                now,
                now,
            )
            for i in range(applications)
        ),
    )
    counts["grant_application_boroughs"] = _copy(
        cur,
        "grant_application_boroughs",
        ["application_id", "borough_code"],
        ((i + 1, rng.choice(BOROUGHS)) for i in range(applications)),
    )
    counts["audit_events"] = _copy(
        cur,
        "audit_events",
        ["at", "action", "target_type", "target_id", "details"],
        (
            (now, "application.status_changed", "Application", str(i + 1), "{}")
            for i in range(applications)
            for _ in range(AUDIT_STEPS[statuses[i]])
        ),
    )
    for table in ("organisations", "grant_applications", "grant_rounds", "grant_funds"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return counts


def raw_connection(app) -> psycopg.Connection:
    from champions.extensions import db

    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champions", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--applications", type=int, default=5_000)
    args = parser.parse_args()
    app = bench_app()
    started = time.perf_counter()
    with raw_connection(app) as conn:
        counts = generate(conn, args.champions, args.activities, args.applications)
        conn.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"generated {counts} in {seconds:.1f} s ({sum(counts.values()) / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
