"""P5: nudge evaluation time at 100,000 champions ÷ at 10,000, with the query count at each.

    python -m benchmarks.nudge_evaluation

Each size is generated fresh on the benchmark database; every enabled rule is evaluated once.
Goal: ratio <= 12 with the same number of queries at both sizes.
"""

from __future__ import annotations

import time

from sqlalchemy import event

from benchmarks.generate import bench_app, generate, raw_connection


def evaluate_once(app) -> tuple[float, int, dict[str, int]]:
    from champions.extensions import db
    from champions.nudges import engine

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT")):
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        created = engine.evaluate_all()
        seconds = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)
    return seconds, len(statements), created


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
