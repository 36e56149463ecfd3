"""S1 for the network analysis (champions/spread), on 100,000 champions.

    python -m benchmarks.spread [--champions 100000] [--reuse]

The generator's champions (a third recruited by another) and their activities, plus workshops of a dozen people
who all checked in (one for every 20 champions) and organisations with eight affiliated champions (one for every
70). Then, in one run:

S1a: the whole analysis as the job runs it (read from PostgreSQL, measure, work out the figures, write every
     champion's measures back and commit). Goal: at most 60 s.
S1b: that time ÷ the graph library's own time for the same computations on the same graph (building it, reach at
     two and three steps, betweenness as the job measures it). Goal: at most 1.5.
--reuse keeps the data already generated in the benchmark database.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks.generate import _copy, bench_app, copy_organisations, generate, raw_connection


def network_ties(conn, champions: int, seed: int = 2018) -> dict[str, int]:
    """Workshops whose people all checked in, and organisations with affiliated champions, by COPY."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    workshops, organisations = max(1, champions // 20), max(1, champions // 70)
    counts = {}
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM organisations")
        (first_organisation,) = cur.fetchone()  # after any the generator made for grant applications
        starts = [now - timedelta(days=rng.randint(1, 700)) for _ in range(workshops)]
        counts["workshops"] = _copy(
            cur,
            "workshops",
            [
                "id",
                "type",
                "title",
                "starts_at",
                "ends_at",
                "borough_code",
                "venue",
                "capacity",
                "sequence",
                "unregistered_count",
                "created_at",
                "updated_at",
            ],
            (
                (
                    w + 1,
                    "co_design",
                    f"Workshop {w + 1}",
                    starts[w],
                    starts[w] + timedelta(hours=2),
                    "bolton",
                    "Hall",
                    20,
                    0,
                    0,
                    starts[w],
                    starts[w],
                )
                for w in range(workshops)
            ),
        )
        counts["workshop_signups"] = _copy(
            cur,
            "workshop_signups",
            [
                "workshop_id",
                "champion_id",
                "status",
                "queued_at",
                "checked_in_at",
                "created_at",
                "updated_at",
                "capacity_override",
            ],
            (
                (w + 1, person, "booked", starts[w], starts[w], starts[w], starts[w], False)
                for w in range(workshops)
                for person in rng.sample(range(1, champions + 1), 12)
            ),
        )
        counts["organisations"] = copy_organisations(
            cur, ((first_organisation + o + 1, f"Group {o + 1}", "aware") for o in range(organisations)), now
        )
        counts["organisation_affiliations"] = _copy(
            cur,
            "organisation_affiliations",
            ["organisation_id", "champion_id"],
            (
                (first_organisation + o + 1, person)
                for o in range(organisations)
                for person in rng.sample(range(1, champions + 1), 8)
            ),
        )
        for table in ("workshops", "organisations"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.commit()
    return counts


def library_time(network) -> float:
    """The graph library alone, on the network as loaded: what graph.measure asks of it."""
    import igraph

    from champions.spread import graph

    started = time.perf_counter()
    g = igraph.Graph(n=network.size, edges=list(network.strength))
    g.degree()
    g.neighborhood_size(order=2)
    g.neighborhood_size(order=3)
    graph._betweenness(g)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champions", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    app = bench_app() if not args.reuse else _existing_app()
    if not args.reuse:
        started = time.perf_counter()
        with raw_connection(app) as conn:
            counts = generate(conn, args.champions, args.champions * 5, nudge_history=False)
            counts.update(network_ties(conn, args.champions))
            conn.execute("ANALYZE")
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s")
    from champions.extensions import db
    from champions.spread import graph, services
    from champions.spread.models import SpreadRun

    with app.app_context():
        run = SpreadRun()
        db.session.add(run)
        db.session.commit()
        started = time.perf_counter()
        services.compute(run)
        db.session.commit()
        whole = time.perf_counter() - started
        network = graph.load()
        library = library_time(network)
        print(
            f"{run.champions:,} champions in the analysis, {run.ties:,} ties, betweenness {run.method}"
            f" ({run.figures.get('sources_sampled') or 'every'} sources, error {run.figures.get('error')})"
        )
        print(f"S1a whole analysis (read, measure, figures, write, commit): {whole:.1f} s (goal <= 60)")
        print(
            f"S1b ÷ igraph's own time for the same computations: {whole:.1f} s ÷ {library:.1f} s = "
            f"{whole / library:.2f} (goal <= 1.5)"
        )


def _existing_app():
    import os

    from benchmarks.generate import bench_url

    os.environ["CHAMPIONS_ENV"] = "testing"
    os.environ["TEST_DATABASE_URL"] = bench_url()
    from champions import create_app

    return create_app("testing")


if __name__ == "__main__":
    main()
