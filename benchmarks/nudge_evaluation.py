"""P5: nudge evaluation time at 100,000 champions ÷ at 10,000, with the query count at each.

    python -m benchmarks.nudge_evaluation

Each size is generated fresh on the benchmark database; every enabled rule is evaluated, the best of three.
Goal: ratio <= 12 with the same number of queries at both sizes.
"""

from __future__ import annotations

import time

from sqlalchemy import event

from benchmarks.generate import bench_app, generate, raw_connection


def evaluate_once(app, runs: int = 3) -> tuple[float, int, dict[str, int]]:
    """The best of ``runs`` evaluations at one moment; each run's messages are deleted before the next,
    so every run does the same work (one evaluation at 10,000 champions takes about a second, and a
    shared machine's noise is a large part of that)."""
    from sqlalchemy import delete

    from champions.core.db import now_utc
    from champions.extensions import db
    from champions.nudges import evaluation
    from champions.nudges.models import NudgeMessage

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT")):
            statements.append(statement)

    best, queries, created = float("inf"), 0, {}
    with app.app_context():
        now = now_utc()
        for _ in range(runs):
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            started = time.perf_counter()
            created = evaluation.evaluate_all(now)
            seconds = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", count)
            best, queries = min(best, seconds), len(statements)
            db.session.execute(delete(NudgeMessage).where(NudgeMessage.created_at == now))
            db.session.commit()
    return best, queries, created


def main() -> None:
    results = {}
    for size in (10_000, 100_000):
        app = bench_app()
        with raw_connection(app) as conn:
            generate(conn, size, activities=size)
            conn.execute("ANALYZE")
        seconds, queries, created = evaluate_once(app)
        results[size] = (seconds, queries)
        print(f"{size:>7,} champions: {seconds:.2f} s, {queries} queries, messages {sum(created.values()):,} {created}")
    ratio = results[100_000][0] / results[10_000][0]
    same = results[100_000][1] == results[10_000][1]
    print(f"P5 = {ratio:.2f} (goal <= 12); query count the same at both sizes: {same}")


if __name__ == "__main__":
    main()
