"""Which graph library measures the champions' network fast enough (champions/spread/graph.py).

A synthetic network shaped like the programme's at its target of 20,000 champions (about three in ten recruited by
another, workshops of a dozen people who all meet, organisations of eight affiliated champions), then, with each
library: building the graph, reach at two and three steps for everyone, and exact betweenness; igraph also with a
sample of starting points, as the app does above 25,000 people, and how well the sample finds the top 5%.

    .venv/bin/python -m benchmarks.graph_libraries [--champions 20000]

networkx and rustworkx are not the app's dependencies: install them into .venv to compare
(``.venv/bin/pip install networkx rustworkx``); a library that is not installed is skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import time


def synthetic(n: int, seed: int = 7) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    edges: set[tuple[int, int]] = set()

    def tie(a: int, b: int) -> None:
        if a != b:
            edges.add((min(a, b), max(a, b)))

    for i in range(1, n):
        if rng.random() < 0.3:
            tie(i, rng.randrange(i))
    for size, groups in ((12, n // 20), (8, n // 70)):
        for _ in range(groups):
            people = rng.sample(range(n), size)
            for x, a in enumerate(people):
                for b in people[x + 1 :]:
                    tie(a, b)
    return sorted(edges)


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"  {label:<44} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--champions", type=int, default=20_000)
    n = parser.parse_args().champions
    edges = synthetic(n)
    print(f"{n:,} champions, {len(edges):,} ties")
    exact = None
    if importlib.util.find_spec("igraph"):
        import igraph

        print("igraph (C)")
        g = timed("build", lambda: igraph.Graph(n=n, edges=edges))
        timed("reach at 2 and 3 steps, everyone", lambda: (g.neighborhood_size(order=2), g.neighborhood_size(order=3)))
        exact = timed("betweenness, exact", lambda: g.betweenness(directed=False))
        sources = random.Random(1).sample(range(n), 2_000)
        sampled = timed("betweenness, 2,000 sources", lambda: g.betweenness(directed=False, sources=sources))
        top = max(1, n // 20)
        best = set(sorted(range(n), key=lambda i: -exact[i])[:top])
        found = set(sorted(range(n), key=lambda i: -sampled[i])[:top])
        print(f"  the sample's top 5% holds {100 * len(best & found) / top:.0f}% of the exact top 5%")
    if importlib.util.find_spec("rustworkx"):
        import rustworkx

        print("rustworkx (Rust)")

        def build():
            graph = rustworkx.PyGraph()
            graph.add_nodes_from(range(n))
            graph.add_edges_from_no_data(edges)
            return graph

        r = timed("build", build)
        timed("betweenness, exact", lambda: rustworkx.graph_betweenness_centrality(r, normalized=False))
    if importlib.util.find_spec("networkx"):
        import networkx

        print("networkx (Python)")
        def build_nx():
            graph = networkx.Graph()
            graph.add_nodes_from(range(n))
            graph.add_edges_from(edges)
            return graph

        h = timed("build", build_nx)
        share = 20
        timed(
            f"reach at 3 steps, 1 in {share} people",
            lambda: [len(networkx.single_source_shortest_path_length(h, i, cutoff=3)) for i in range(0, n, share)],
        )
        timed(
            "betweenness, 200 sources (exact would be n/200 times)",
            lambda: networkx.betweenness_centrality(h, k=200, seed=1),
        )


if __name__ == "__main__":
    main()
