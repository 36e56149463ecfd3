"""Run every benchmark in one go: python -m benchmarks (about an hour on 2 cores; bin/setup --bench first, for
locust). Each prints its figures as it goes; the README's table is filled from one such run."""

import sys
import time

from benchmarks import dashboard, national, nudge_backlog, nudge_evaluation, roster_and_import, signup_surge, spread

sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, into a log file too
started = time.perf_counter()
for name, run in (
    ("P1, P2: the programme dashboard at 100,000 champions", dashboard.main),
    ("P5: nudge evaluation at 10,000 and 100,000", nudge_evaluation.main),
    ("P3, P4: the roster's deep page and the CSV import", roster_and_import.main),
    ("N5: a backlog of 100,000 nudges", nudge_backlog.main),
    ("S1: the network analysis at 100,000 champions", spread.main),
    ("N4: a sign-up surge", signup_surge.main),
    ("N1-N3: a million champions", national.main),
):
    print(f"\n== {name}")
    began = time.perf_counter()
    run()
    print(f"   ({(time.perf_counter() - began) / 60:.1f} minutes)")
print(f"\nall benchmarks in {(time.perf_counter() - started) / 60:.1f} minutes")
