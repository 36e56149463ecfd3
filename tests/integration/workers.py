"""Start a real Celery worker process for the integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import PROJECT_ROOT

# The brokers a worker test runs on, each marked for the pass of the stack it belongs to (tests/conftest.py).
BROKERS = [pytest.param(name, marks=pytest.mark.broker(name)) for name in ("embedded", "redis")]


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text()[-4000:]

    def stop(self, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything of the group still running


CELERY = [sys.executable, "-m", "celery", "-A", "celery_worker:celery"]


def worker_env(app, instance_dir: Path, broker: str, queue: str, **settings: str) -> dict[str, str]:
    """The environment of a worker or beat a test starts: the test's database, ``broker``, a queue of its own
    (named ``queue``-something), and ``settings``."""
    return {
        "CHAMPIONS_ENV": "testing",
        "CHAMPIONS_INSTANCE_DIR": str(instance_dir),
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "TEST_CELERY_BROKER_URL": broker,
        "TEST_CELERY_QUEUE": f"{queue}-{uuid.uuid4().hex[:8]}",
        **settings,
    }


def smtp_env(port: int) -> dict[str, str]:
    """Settings that send a worker's email to the SMTP server on ``port`` (tests/fake_smtp.start_smtp_server)."""
    return {"TEST_MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}


def _start(args: list[str], env: dict[str, str], log: Path) -> WorkerProcess:
    """A Celery process in its own process group (so a kill takes its children too), logging to ``log``."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [*CELERY, *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return WorkerProcess(process, log)


def start_worker(env: dict[str, str], instance_dir: Path, beat: bool = False) -> WorkerProcess:
    """A worker (with, if asked, an embedded beat, a child process), logging to a file."""
    args = ["worker", "--pool=solo", "-Q", env["TEST_CELERY_QUEUE"], "--loglevel=INFO"]
    if beat:
        args += ["--beat", "-s", str(instance_dir / f"beat-{env['TEST_CELERY_QUEUE']}")]
    return _start(args, env, instance_dir / f"worker-{uuid.uuid4().hex[:8]}.log")


def start_beat(env: dict[str, str], instance_dir: Path) -> WorkerProcess:
    """A beat on its own, with its own schedule file, logging to a file."""
    name = uuid.uuid4().hex[:8]
    args = ["beat", "--loglevel=INFO", "-s", str(instance_dir / f"beat-schedule-{name}")]
    return _start(args, env, instance_dir / f"beat-{name}.log")


def wait_until(predicate, timeout: float = 60, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
