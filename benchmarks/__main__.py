"""Run every benchmark in one go: python -m benchmarks (about 18 minutes on 2 cores)."""

import time

from benchmarks import dashboard, nudge_evaluation, roster_and_import, signup_surge

started = time.perf_counter()
dashboard.main()  # P1, P2 (generates 100,000 champions, 2,000,000 activities, 5,000 grant applications)
nudge_evaluation.main()  # P5
roster_and_import.main()  # P3, P4
signup_surge.main()  # N4 and the sign-up surge (about 10 minutes; needs bin/setup --bench for locust)
print(f"all benchmarks in {(time.perf_counter() - started) / 60:.1f} minutes")
