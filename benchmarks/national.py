"""N1, N2 and N3 at national scale: a million champions and twenty million activities.

    python -m benchmarks.national [--champions 1000000] [--reuse]

The generator fills the database at 100,000 champions, then again at --champions (default 1,000,000), each
with twenty activities a champion, a grant application for one in twenty (and their groups and history),
onboarding nudge history, and workshops and organisations (benchmarks/spread.py's network_ties).

N1: the programme snapshot ÷ the same aggregates as bare SQL (benchmarks/dashboard_sql.sql in psql), both
    under the app's own settings (JIT off and the aggregates' work_mem: PGOPTIONS for psql): goal <= 1.2; and
    the snapshot at the full size ÷ at 100,000: goal <= 10 (no worse than linear).
N2: the staff roster, through gunicorn, signed in: a search by part of a name, by an email, by part of a
    postcode, and page 20,000 of the list, each ÷ a trivial signed-in page (/account): goal <= 2 (median of
    repeated requests, interleaved). Page 10,000 (the middle) too: page 20,000, the last, is the one a key the
    index cannot answer as a range would still find quickly, walking from the other end.
N3: the dashboard page's requests/s ÷ the trivial page's, 4 clients: goal >= 0.5.
--reuse measures the full size already in the database (skips both generations and the 100,000 figure).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from benchmarks.dashboard import _rps, bare_sql, best_of, serving
from benchmarks.generate import bench_app, bench_url, generate, raw_connection
from benchmarks.roster_and_import import page_key
from benchmarks.spread import network_ties

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGE = 50
DEEP = 20_000
STAFF = ("bench-staff@example.org", "a benchmark password")


def fill(champions: int) -> tuple[object, float, dict[str, int]]:
    """An emptied database filled at this size: (app, seconds, rows per table)."""
    app = bench_app()
    started = time.perf_counter()
    with raw_connection(app) as conn:
        counts = generate(conn, champions, champions * 20, applications=champions // 20)
        for table, rows in network_ties(conn, champions).items():
            counts[table] = counts.get(table, 0) + rows  # organisations: the grant groups and the others
    with raw_connection(app) as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return app, time.perf_counter() - started, counts


def snapshot_seconds(app) -> float:
    from champions.dashboards.services import programme_figures

    def snapshot():
        with app.app_context():
            programme_figures()

    snapshot()  # warm the caches
    return best_of(3, snapshot)


def bare_seconds() -> float:
    """The yardstick in psql, under the app's own settings (benchmarks/dashboard.py's bare_sql)."""
    bare_sql()
    return best_of(3, bare_sql)


def _get(conn: http.client.HTTPConnection, path: str, cookie: str, expect: bytes) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    assert response.status == 200 and expect in body, (path, response.status)
    return seconds


def roster_paths(app) -> dict[str, str]:
    """The searches and the deep page, chosen from the data: part of a surname, one person's email, part of a
    postcode, and the keys of the last rows on pages 19,999 and 9,999 (newest first), found once and not timed."""
    from sqlalchemy import select

    from champions.accounts.models import User
    from champions.extensions import db
    from champions.profiles.models import Champion

    with app.app_context():
        person = db.session.execute(
            select(Champion.last_name, Champion.postcode, User.email)
            .join(User, User.id == Champion.user_id)
            .where(Champion.id == 123_457 % db.session.query(Champion).count() + 1)
        ).one()
    name, postcode = person.last_name[:4].lower(), person.postcode[:4].strip()
    return {
        f"part of a name ({name})": f"/staff/champions?q={quote(name)}",
        "an email": f"/staff/champions?q={quote(person.email)}",
        f"part of a postcode ({postcode})": f"/staff/champions?q={quote(postcode)}",
        f"page {DEEP:,}": f"/staff/champions?after={quote(page_key(app, DEEP))}",
        f"page {DEEP // 2:,}": f"/staff/champions?after={quote(page_key(app, DEEP // 2))}",
    }


def n2(port: int, cookie: str, paths: dict[str, str], rounds: int = 15) -> dict[str, float]:
    """Median seconds of each page, requested in turn with the trivial page so that both see the same machine."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings: dict[str, list[float]] = {"/account": [], **{name: [] for name in paths}}
    for path in paths.values():  # warm each once
        _get(conn, path, cookie, b'id="matches"')
    for _ in range(rounds):
        for name, path in paths.items():
            timings["/account"].append(_get(conn, "/account", cookie, b"<html"))
            timings[name].append(_get(conn, path, cookie, b'id="matches"'))
    return {name: statistics.median(values) for name, values in timings.items()}


def n3(port: int, cookie: str) -> tuple[float, float]:
    _rps(port, "/staff", cookie, seconds=2)  # warm up
    dashboard, trivial = [], []
    for _ in range(2):
        trivial.append(_rps(port, "/account", cookie))
        dashboard.append(_rps(port, "/staff", cookie))
    return statistics.mean(dashboard), statistics.mean(trivial)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champions", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, into a log file too
    small = None
    if args.reuse:
        os.environ["CHAMPIONS_ENV"] = "testing"
        os.environ["TEST_DATABASE_URL"] = bench_url()
        from champions import create_app

        app = create_app("testing")
    else:
        app, seconds, counts = fill(100_000)
        small = snapshot_seconds(app)
        print(f"100,000 champions: {sum(counts.values()):,} rows in {seconds:.0f} s; snapshot {small:.2f} s")
        app, seconds, counts = fill(args.champions)
        print(f"{args.champions:,} champions: {sum(counts.values()):,} rows in {seconds / 60:.1f} minutes")
        print("     " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
    snapshot, bare = snapshot_seconds(app), bare_seconds()
    print(f"N1 = {snapshot:.2f} s ÷ {bare:.2f} s = {snapshot / bare:.2f} (goal <= 1.2), both with JIT off")
    if small:
        print(
            f"     snapshot at {args.champions:,} ÷ at 100,000 = {snapshot:.2f} s ÷ {small:.2f} s"
            f" = {snapshot / small:.2f} (goal <= 10)"
        )
    paths = roster_paths(app)
    with serving(app) as (port, cookie):
        medians = n2(port, cookie, paths)
        trivial = medians.pop("/account")
        for name, seconds in medians.items():
            print(f"N2 {name}: {seconds * 1000:.0f} ms ÷ {trivial * 1000:.0f} ms = {seconds / trivial:.2f} (goal <= 2)")
        dashboard, trivial_rps = n3(port, cookie)
        print(f"N3 = {dashboard:.0f} ÷ {trivial_rps:.0f} requests/s = {dashboard / trivial_rps:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
