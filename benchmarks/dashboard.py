"""P1 and P2 for the programme dashboard, on 100,000 champions and 2,000,000 activities.

    python -m benchmarks.dashboard [--reuse]

P1: the snapshot computation's time ÷ the time of the bare SQL aggregates that compute the same
    figures (benchmarks/dashboard_sql.sql), run directly with psql under the app's settings (JIT off). Goal <= 1.5.
P2: dashboard page requests per second ÷ a trivial signed-in page's (/account), same gunicorn settings, same
    run. Goal >= 0.5. /healthz (no session, no template) is printed too.
--reuse keeps the data already generated in the benchmark database.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.generate import bench_app, bench_url, generate, raw_connection

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def p1(app) -> tuple[float, float]:
    from champions.dashboards.services import programme_figures

    def snapshot():
        with app.app_context():
            programme_figures()

    snapshot()  # warm caches for both
    bare_sql()
    return best_of(3, snapshot), best_of(3, bare_sql)


def bare_sql() -> None:
    """The yardstick (benchmarks/dashboard_sql.sql) in psql, under the settings the app computes the snapshot with:
    JIT off (core.db.configure_postgresql) and room for its aggregates (core.db.roomy_aggregates)."""
    from champions.core.db import AGGREGATE_WORK_MEM

    env = {**os.environ, "PGOPTIONS": f"-c jit=off -c work_mem={AGGREGATE_WORK_MEM}"}
    command = ["psql", bench_url(), "-q", "-o", "/dev/null", "-f", str(HERE / "dashboard_sql.sql")]
    subprocess.run(command, check=True, env=env)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rps(port: int, path: str, cookie: str, seconds: float = 8, clients: int = 4) -> float:
    done = []
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            n += 1
        done.append(n)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


STAFF = ("bench-staff@example.org", "a benchmark password")


@contextmanager
def serving(app):
    """gunicorn (2 workers × 2 threads) on the benchmark database with a fresh programme snapshot: its port and a
    signed-in staff member's cookie."""
    from champions.accounts.services import EmailTaken, create_user
    from champions.core.permissions import Role
    from champions.dashboards.services import compute_programme_snapshot
    from champions.extensions import db

    with app.app_context():
        try:
            create_user(*STAFF, Role.STAFF)
        except EmailTaken:
            pass  # kept from an earlier run with --reuse
        compute_programme_snapshot()
        db.session.commit()
    port = _free_port()
    env = {**os.environ, "CHAMPIONS_ENV": "testing", "TEST_DATABASE_URL": bench_url()}
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        body = urlencode({"email": STAFF[0], "password": STAFF[1]})
        conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        yield port, response.getheader("Set-Cookie").split(";")[0]
    finally:
        server.terminate()
        server.wait(timeout=20)


def p2(app) -> dict[str, float]:
    with serving(app) as (port, cookie):
        _rps(port, "/staff", cookie, seconds=2)  # warm up
        # Interleaved, so that both routes see the same machine.
        runs = {"/healthz": [], "/account": [], "/staff": []}
        for _ in range(2):
            for path in runs:
                runs[path].append(_rps(port, path, cookie))
        return {path: statistics.mean(values) for path, values in runs.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--champions", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if args.reuse:
        os.environ["CHAMPIONS_ENV"] = "testing"
        os.environ["TEST_DATABASE_URL"] = bench_url()
        from champions import create_app

        app = create_app("testing")
    else:
        app = bench_app()
        started = time.perf_counter()
        with raw_connection(app) as conn:
            counts = generate(conn, args.champions, args.activities, applications=5_000)
            conn.execute("ANALYZE")
        print(f"generated {sum(counts.values()):,} rows in {time.perf_counter() - started:.0f} s")
    snapshot, bare = p1(app)
    print(f"P1 = {snapshot:.2f} s ÷ {bare:.2f} s = {snapshot / bare:.2f} (goal <= 1.5)")
    rps = p2(app)
    dashboard = rps["/staff"]
    print(
        f"P2 = {dashboard:.0f} ÷ {rps['/account']:.0f} requests/s = {dashboard / rps['/account']:.2f} (goal >= 0.5)"
        " against a trivial signed-in page (/account: the same session, user load and layout)"
    )
    print(
        f"     {dashboard:.0f} ÷ {rps['/healthz']:.0f} requests/s = {dashboard / rps['/healthz']:.2f}"
        " against /healthz (no session, no template)"
    )


if __name__ == "__main__":
    main()
