"""Run every benchmark in one go: python -m benchmarks (about 8 minutes on 2 cores)."""

import time

from benchmarks import dashboard, nudge_evaluation, roster_and_import

started = time.perf_counter()
dashboard.main()  # P1, P2 (generates 100,000 champions, 2,000,000 activities, 5,000 grant applications)
nudge_evaluation.main()  # P5
roster_and_import.main()  # P3, P4
print(f"all benchmarks in {(time.perf_counter() - started) / 60:.1f} minutes")
