"""A worker started with `celery -A celery_worker:celery worker` must know every task the app can queue."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from config import PROJECT_ROOT

pytestmark = pytest.mark.once

# Tasks are declared with @shared_task, or @email_task (champions/core/email.py) for those that send email.
SHARED_TASK = re.compile(r"^@(?:shared_task|email_task)\b.*\n(?:@.*\n)*def (\w+)", re.MULTILINE)
# One-off emails (champions/core/pending_email.py) are sent by one task, which finds each kind's builder by name.
ONE_OFF_EMAIL = re.compile(r'^@one_off_email\("(\w+)"\)', re.MULTILINE)


def test_a_worker_imports_every_task_module():
    expected, kinds = set(), set()
    for path in (PROJECT_ROOT / "champions").rglob("*.py"):
        module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        expected |= {f"{module}.{name}" for name in SHARED_TASK.findall(path.read_text())}
        kinds |= set(ONE_OFF_EMAIL.findall(path.read_text()))
    assert len(expected) >= 15 and len(kinds) >= 8
    # A fresh interpreter, as a worker is: what other tests imported cannot hide a missing module.
    script = (
        "import json; from celery_worker import celery; celery.loader.import_default_modules(); "
        "from champions.core.pending_email import KINDS; print(json.dumps([sorted(celery.tasks), sorted(KINDS)]))"
    )
    env = {**os.environ, "CHAMPIONS_ENV": "testing", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    registered, known_kinds = json.loads(result.stdout.strip().splitlines()[-1])
    assert expected - set(registered) == set()
    assert kinds - set(known_kinds) == set()
