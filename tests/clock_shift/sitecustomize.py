"""Moves the clock of a process the test suite starts (a Celery worker, a beat) as far as the suite's own.

``tests/conftest.py`` puts this folder on ``PYTHONPATH`` when ``TEST_AT`` is set, so every Python process
of the shifted run, not only pytest's, agrees on the time. Python imports ``sitecustomize`` at start-up.
"""

import os

if offset := os.environ.get("CHAMPIONS_TEST_CLOCK_OFFSET"):
    import time

    import time_machine

    time_machine.travel(time.time() + float(offset), tick=True).start()
