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


def generate(conn: psycopg.Connection, champions: int, activities: int, seed: int = 2017) -> dict[str, int]:
    """Users, champions, consents, stage history, topics and activities, ids from 1. Returns row counts."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    start = now - timedelta(days=3 * 365)
    joined = [start + timedelta(seconds=rng.random() * (now - start).total_seconds()) for _ in range(champions)]
    stages = rng.choices(STAGES, STAGE_WEIGHTS, k=champions)
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"
    counts = {}
    with conn.cursor() as cur:
        counts["users"] = _copy(
            cur,
            "users",
            ["id", "email", "password_hash", "role", "active", "session_version", "created_at", "email_verified_at"],
            (
                (
                    i + 1,
                    f"bench{i + 1}@example.org",
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
                    "Bench",
                    f"Champion{i + 1}",
                    rng.choice(BOROUGHS),
                    "M1 1AE",
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
        counts["champion_topics"] = _copy(
            cur,
            "champion_topics",
            ["champion_id", "topic_code"],
            ((i + 1, topic) for i in range(champions) for topic in rng.sample(TOPICS, rng.randint(1, 3))),
        )
        doers = [i + 1 for i in range(champions) if stages[i] in ("active", "lapsed", "withdrawn")] or [1]
        counts["activities"] = _copy(
            cur,
            "activities",
            [
                "champion_id",
                "type",
                "occurred_on",
                "borough_code",
                "topic_code",
                "people_reached",
                "created_at",
                "updated_at",
            ],
            (
                (
                    rng.choice(doers),
                    rng.choice(TYPES),
                    (now - timedelta(days=rng.randint(0, 700))).date(),
                    rng.choice(BOROUGHS),
                    rng.choice(TOPICS),
                    rng.choice((1, 1, 2, 3, 5, 10, 25)),
                    now,
                    now,
                )
                for _ in range(activities)
            ),
        )
        for table in ("users", "champions"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {champions})")
    conn.commit()
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
    args = parser.parse_args()
    app = bench_app()
    started = time.perf_counter()
    with raw_connection(app) as conn:
        counts = generate(conn, args.champions, args.activities)
        conn.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"generated {counts} in {seconds:.1f} s ({sum(counts.values()) / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
