"""P3 and P4 for the staff CRM.

    python -m benchmarks.roster_and_import

P3: the roster page 4,000 pages deep ÷ its first page (goal <= 1.2), on 200,050 champions so that page
    4,000 of 50 exists; key-set pages, so depth should cost nothing. Both through the real page, signed in.
P4: CSV import rows per second ÷ raw bulk-insert rows per second (goal >= 0.25): 20,000 champions through
    the whole import (parse, validate, de-duplicate, write with consent, stage and source) against COPY of
    the same champions with their user, consent and stage rows.
"""

from __future__ import annotations

import time

from sqlalchemy import select, text

from benchmarks.dashboard import best_of
from benchmarks.generate import bench_app, generate, raw_connection
from benchmarks.import_champions import partner_file

PAGE = 50
DEEP = 4_000
ROWS = 20_000


def page_key(app, page: int) -> str:
    """The roster's key ("value~id") for ``page`` (newest first, PAGE a page): the last row of the page before it,
    found once and not timed."""
    from champions.core.db import as_utc
    from champions.extensions import db
    from champions.profiles.models import Champion

    with app.app_context():
        row = db.session.execute(
            select(Champion.created_at, Champion.id)
            .order_by(Champion.created_at.desc(), Champion.id.desc())
            .offset(PAGE * (page - 1) - 1)
            .limit(1)
        ).one()
    return f"{as_utc(row.created_at).isoformat()}~{row.id}"


def p3() -> float:
    from champions.accounts.services import create_user
    from champions.core.permissions import Role
    from champions.extensions import db

    app = bench_app()
    with raw_connection(app) as conn:
        generate(conn, PAGE * DEEP + PAGE, activities=0)
        conn.execute("ANALYZE")
    with app.app_context():
        create_user("bench-staff@example.org", "a benchmark password", Role.STAFF)
        db.session.commit()
    cursor = page_key(app, DEEP)
    client = app.test_client()
    client.post("/login", data={"email": "bench-staff@example.org", "password": "a benchmark password"})

    def page(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200 and b"champions match" in response.data, response.status_code

        return run

    first_url, deep_url = "/staff/champions", f"/staff/champions?after={cursor}"
    page(first_url)()
    page(deep_url)()
    first, deep = best_of(5, page(first_url)), best_of(5, page(deep_url))
    print(
        f"P3 = {deep * 1000:.0f} ms ÷ {first * 1000:.0f} ms = {deep / first:.2f} (goal <= 1.2), page {DEEP:,} of {PAGE}"
    )
    return deep / first


def p4() -> float:
    from champions.extensions import db
    from champions.roster.importer.run import process
    from champions.roster.importer.upload import create_job
    from champions.roster.models import JobStatus

    app = bench_app()
    with raw_connection(app) as conn:
        started = time.perf_counter()
        # What the import writes, nothing more, its foreign keys checked as the import's are.
        generate(conn, ROWS, activities=0, nudge_history=False, check_keys=True)
        raw_seconds = time.perf_counter() - started
    app = bench_app()  # empty again, for the import
    data = partner_file(ROWS, "Bench")
    with app.app_context():
        started = time.perf_counter()
        job = create_job("bench.csv", data, source="Benchmark", lawful_basis="consent", by_user_id=None)
        job.status = JobStatus.RUNNING.value
        db.session.commit()
        for _ in process(job, dry_run=False):
            db.session.commit()
        import_seconds = time.perf_counter() - started
        imported = db.session.scalar(text("SELECT count(*) FROM champions"))
    assert imported == ROWS, imported
    ratio = (ROWS / import_seconds) / (ROWS / raw_seconds)
    print(f"P4 = {ROWS / import_seconds:,.0f} ÷ {ROWS / raw_seconds:,.0f} champions/s = {ratio:.2f} (goal >= 0.25)")
    return ratio


def main() -> None:
    p3()
    p4()


if __name__ == "__main__":
    main()
