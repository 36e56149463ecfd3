"""How long the staff import takes for a partner file of 20,000 rows (issue 4).

Usage (on an empty database you can throw away: its schema is dropped and rebuilt):

    export BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/champions_bench
    .venv/bin/python -m benchmarks.import_champions

It times the three steps staff go through, as the Celery tasks run them (batches committed as they go):
reading and checking the upload, the dry run, and the import: first into an empty roster, then a second
file into the roster of 20,000 that leaves (the everyday case), then that file again (all duplicates).
Figures are printed, never asserted: the machine is shared and noisy.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time

LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ROWS = int(os.environ.get("BENCH_ROWS", "20000"))
BOROUGHS = [
    "Bolton",
    "Bury",
    "Manchester",
    "Oldham",
    "Rochdale",
    "Salford",
    "Stockport",
    "Tameside",
    "Trafford",
    "Wigan",
]


def partner_file(rows: int, prefix: str = "Bench") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Email", "First name", "Last name", "Postcode", "Borough", "Phone", "Topics", "Consent"])
    for i in range(rows):
        writer.writerow(
            [
                f"{prefix}.Person{i}@Example.org",
                f"Person{i}",
                f"{prefix}{i % 977}",
                f"M{i % 40 + 1} {i % 9 + 1}{LETTERS[i % 20]}{LETTERS[i // 20 % 20]}",  # realistic spread of postcodes
                BOROUGHS[i % 10],
                f"07700 {900000 + i % 99999}" if i % 4 == 0 else "",
                "smoking; screening" if i % 3 == 0 else "",
                "",  # no consent recorded: nobody is emailed, so the figure is the import alone
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        sys.exit("Set BENCH_DATABASE_URL to a PostgreSQL database whose contents you can lose.")
    os.environ["CHAMPIONS_ENV"] = "testing"
    os.environ["TEST_DATABASE_URL"] = url
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from champions import create_app
    from champions.extensions import db
    from champions.profiles.models import Champion
    from champions.roster.importer.run import process
    from champions.roster.importer.upload import create_job
    from champions.roster.models import JobStatus

    app = create_app("testing")
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        runs = [
            ("into an empty roster", partner_file(ROWS, "First")),
            ("into a roster of 20,000", partner_file(ROWS, "Second")),
            ("the same file again", partner_file(ROWS, "Second")),
        ]
        print(f"{ROWS:,} rows a file, {len(runs[0][1]) / 1e6:.1f} MB, on {db.engine.dialect.name}")
        for attempt, data in runs:
            started = time.perf_counter()
            job = create_job("bench.csv", data, source="Benchmark", lawful_basis="consent", by_user_id=None)
            job.status = JobStatus.CHECKING.value
            db.session.commit()
            read = time.perf_counter()
            for _ in process(job, dry_run=True):
                db.session.commit()
            checked = time.perf_counter()
            job.status = JobStatus.RUNNING.value
            for _ in process(job, dry_run=False):
                db.session.commit()
            done = time.perf_counter()
            print(
                f"{attempt}: upload checked {read - started:.1f} s, dry run {checked - read:.1f} s, "
                f"import {done - checked:.1f} s ({ROWS / (done - checked):,.0f} rows/s); counts {job.counts}"
            )
            # As autovacuum does soon after a big load: the planner learns the tables are no longer empty.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"champions in the database: {db.session.scalar(select(func.count()).select_from(Champion)):,}")


if __name__ == "__main__":
    main()
