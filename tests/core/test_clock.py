"""The app reads the time through one function of its own (``champions.core.clock``)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from champions.core import clock as app_clock

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.joinpath("champions").rglob("*.py"), *ROOT.joinpath("migrations").rglob("*.py")]
CLOCK = ROOT / "champions" / "core" / "clock.py"

# Attribute calls that read the machine's clock: ``datetime.now()``, ``date.today()``, ``time.time()`` …
READS_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("func", "now"),
    ("func", "current_timestamp"),
    ("func", "current_date"),
    ("func", "localtimestamp"),
}
SQL_CLOCK = ("CURRENT_TIMESTAMP", "CURRENT_DATE", "NOW()", "LOCALTIMESTAMP", "DATETIME('NOW'", "DATE('NOW'")


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if (name, node.func.attr) in READS_CLOCK:
                found.append(f"{where}:{node.lineno} {name}.{node.func.attr}()")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            upper = node.value.upper().replace(" ", "")
            if any(word.replace(" ", "") in upper for word in SQL_CLOCK):
                found.append(f"{where}:{node.lineno} SQL reads the database's clock")
    return found


def test_nothing_but_the_clock_module_reads_the_time():
    offenders = [line for path in SOURCES if path != CLOCK for line in clock_reads(path)]
    assert offenders == [], "read the time through champions.core.clock instead:\n" + "\n".join(offenders)


# The suite moves its own clock (TEST_AT) and the clock module is the app's; nothing else in tests reads the time.
TEST_SOURCES = [p for p in ROOT.joinpath("tests").rglob("*.py") if p.name not in ("conftest.py", "sitecustomize.py")]


def test_no_test_reads_the_machine_clock():
    # A test sets the time with the clock fixture, or takes it from the app's clock (which the suite may move).
    offenders = [line for path in TEST_SOURCES if path != Path(__file__) for line in clock_reads(path)]
    assert offenders == [], "use the clock fixture or champions.core.clock:\n" + "\n".join(offenders)


def test_the_scan_finds_a_clock_read(tmp_path):
    # The check above must be able to fail: each way of reading the clock is caught.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from datetime import date, datetime\nimport time\n"
        "a = datetime.now()\nb = date.today()\nc = time.time()\nd = 'SELECT CURRENT_TIMESTAMP'\n"
    )
    assert len(clock_reads(sample)) == 4


def test_the_clock_follows_the_time_a_test_sets(clock):
    clock.set(datetime(2028, 2, 29, 23, 30))  # 23:30 in London is 23:30 UTC in February
    assert app_clock.now_utc() == datetime(2028, 2, 29, 23, 30, tzinfo=UTC)
    assert app_clock.today_uk().isoformat() == "2028-02-29"
    clock.set(datetime(2027, 7, 1, 0, 30))  # 00:30 in London in summer is still 30 June in UTC
    assert app_clock.today_uk().isoformat() == "2027-07-01"
    assert app_clock.today_utc().isoformat() == "2027-06-30"
