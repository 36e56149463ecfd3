"""The web server does not name itself: gunicorn, started as bin/run starts it, sends no `Server: gunicorn`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from tests.fake_smtp import free_port

pytestmark = pytest.mark.once

CONFIG = "config/gunicorn.conf.py"


def _server_header(port: int, deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.headers["Server"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_started_with_the_projects_config_does_not_name_itself(app):
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [gunicorn, "--config", CONFIG, "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        header = _server_header(port, time.monotonic() + 30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert header and "gunicorn" not in header.lower()


def test_bin_run_starts_gunicorn_with_that_config():
    run = (PROJECT_ROOT / "bin" / "run").read_text()
    starts = [line for line in run.splitlines() if re.search(r"\bgunicorn\b", line) and "--bind" in line]
    assert starts and all(f"--config {CONFIG}" in line for line in starts)
