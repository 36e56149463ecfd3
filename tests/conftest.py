"""Shared fixtures: one app per session on a migrated database, emptied after every test.

Tests commit for real (requests, Celery workers and concurrent sign-ups need it),
so instead of rolling back, each test ends by emptying every table except the
reference data that the migration loads.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_INSTANCE = Path(tempfile.mkdtemp(prefix="champions-test-"))
os.environ["CHAMPIONS_INSTANCE_DIR"] = str(_INSTANCE)
os.environ["CHAMPIONS_ENV"] = "testing"
os.environ.pop("TEST_CELERY_BROKER_URL", None)


def _move_the_clock() -> str | None:
    """With ``TEST_AT`` ("2028-02-29 23:20:00", UTC) the whole run, and every process it starts, ticks on from then.

    time-machine moves the wall clock (``datetime.now``, ``time.time``) and leaves monotonic time alone, so
    timeouts and sleeps behave; the offset is handed to child processes through ``sitecustomize``.
    """
    at = os.environ.get("TEST_AT")
    if not at:
        return None
    import time

    import time_machine

    moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
    os.environ.setdefault("CHAMPIONS_TEST_CLOCK_OFFSET", str(moment.timestamp() - time.time()))
    shift = str(Path(__file__).parent / "clock_shift")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [shift, os.environ.get("PYTHONPATH")]))
    time_machine.travel(moment, tick=True).start()
    return at


MOVED_TO = _move_the_clock()


def pytest_report_header(config):
    if MOVED_TO:
        return f"clock moved: the run starts at {MOVED_TO} UTC (TEST_AT)"


from celery import _state as celery_state  # noqa: E402
from flask import g, has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from champions import create_app  # noqa: E402
from champions.core.clock import UK, now_utc  # noqa: E402
from champions.extensions import db as _db  # noqa: E402
from tests import factories  # noqa: E402

# Rows the migrations load (boroughs, topics, the training catalogue, the pledge): put back after every test.
SEEDED: dict[str, list[dict]] = {}
# On PostgreSQL, a digest of each of those tables as loaded: a test that left one as it was is found in one query.
SEEDED_DIGESTS: dict[str, str] = {}
IN_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config, items):
    """Each test runs in one pass where running it twice would tell nothing new: ``once`` tests in the SQLite pass,
    ``postgres_pass`` tests in the PostgreSQL pass when bin/test runs one (it says so in ``TEST_POSTGRES_PASS``).
    A worker test on a broker (``broker("embedded")`` or ``broker("redis")``) runs in the pass of the stack that
    broker is deployed with: the embedded one beside SQLite, Redis beside PostgreSQL (both in the SQLite pass when
    there is no PostgreSQL pass)."""
    on_postgres = bool(os.environ.get("TEST_DATABASE_URL"))
    postgres_pass_too = bool(os.environ.get("TEST_POSTGRES_PASS"))
    for item in items:
        broker = item.get_closest_marker("broker")
        if on_postgres and item.get_closest_marker("once"):
            item.add_marker(pytest.mark.skip(reason="gives the same answer on any database: runs in the SQLite pass"))
        if not on_postgres and postgres_pass_too and item.get_closest_marker("postgres_pass"):
            item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass of this run"))
        if on_postgres and broker and broker.args == ("embedded",):
            item.add_marker(pytest.mark.skip(reason="the embedded broker runs in the SQLite pass, as it is deployed"))
        if not on_postgres and postgres_pass_too and broker and broker.args == ("redis",):
            item.add_marker(pytest.mark.skip(reason="Redis runs in the PostgreSQL pass of this run, as it is deployed"))


def need(condition: bool, reason: str) -> None:
    """Skip a test whose service is missing here; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def only_on_postgres(app) -> None:
    """Skip on SQLite: the suite runs again on PostgreSQL (bin/test with TEST_DATABASE_URL, as in CI)."""
    if not is_postgres(app):
        pytest.skip("runs in the PostgreSQL pass of the suite")


def only_on_sqlite(app) -> None:
    """Skip on PostgreSQL: for the embedded database's own behaviour, tested on SQLite."""
    if is_postgres(app):
        pytest.skip("tests SQLite's own behaviour; the PostgreSQL pass has its own test")


def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def reset_database(app) -> None:
    """Start from an empty database at the head migration."""
    with app.app_context():
        if is_postgres(app):
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            _db.drop_all()
            with _db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        if is_postgres(app):
            # Tables are emptied with DELETE between tests (_empty_postgres_tables): without autovacuum reclaiming
            # the deleted rows' space, new rows are stored after the old, in the order they are written, as in a
            # new table, rather than wherever space was freed.
            with _db.engine.begin() as conn:
                for table in _db.metadata.sorted_tables:
                    conn.execute(text(f"ALTER TABLE {table.name} SET (autovacuum_enabled = false)"))
        with _db.engine.connect() as conn:
            for table in _db.metadata.sorted_tables:
                rows = conn.execute(table.select()).mappings().all()
                if rows:
                    SEEDED[table.name] = [dict(row) for row in rows]
            if is_postgres(app):
                SEEDED_DIGESTS.update(_digests(conn))


def empty_tables(app) -> None:
    """Empty every table, then put back what the migrations loaded."""
    with app.app_context():
        _db.session.remove()
        tables = _db.metadata.sorted_tables
        with _db.engine.begin() as conn:
            if is_postgres(app):
                _empty_postgres_tables(conn, tables)
                return
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                if rows := SEEDED.get(table.name):
                    conn.execute(table.insert(), rows)


def _empty_postgres_tables(conn, tables) -> None:
    """Empty only the tables a test left rows in (found in one query), leave the migrations' reference data alone
    unless the test changed it, and start every id sequence again: TRUNCATE would cost about as much for each empty
    table as for a full one, and its CASCADE reaches every table that refers to the reference data."""
    with_rows = set(
        conn.scalars(
            text(" UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in tables))
        )
    )
    # Tables with rows, but not reference data the test left as the migrations loaded it; and reference data a
    # test emptied, to be put back.
    unchanged = {name for name, digest in _digests(conn).items() if digest == SEEDED_DIGESTS[name]}
    used = {t.name for t in tables if (t.name in with_rows or t.name in SEEDED) and t.name not in unchanged}
    # Reference data put back must first lose every row that refers to it, the unchanged reference data too.
    while more := {
        t.name
        for t in tables
        if t.name in with_rows - used and any(fk.column.table.name in used for fk in t.foreign_keys)
    }:
        used |= more
    for table in reversed(tables):
        if table.name in used:
            conn.execute(table.delete())
    for table in tables:
        if table.name in used and (rows := SEEDED.get(table.name)):
            conn.execute(table.insert(), rows)
    conn.execute(text(f"SELECT {', '.join(_restart_ids(tables))}"))


def _digests(conn) -> dict[str, str]:
    """An MD5 of each reference table's rows (as text, in order), all in one query: equal digests, equal rows."""
    return dict(
        conn.execute(
            text(
                " UNION ALL ".join(
                    f"SELECT '{name}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {name} t"
                    for name in sorted(SEEDED)
                )
            )
        ).all()
    )


def _restart_ids(tables) -> list[str]:
    """setval calls that start each table's id sequence again as on a new database: at 1, or after the rows the
    migrations loaded (a table whose id has no sequence gives NULL, and setval of NULL does nothing)."""

    def start(table) -> str:
        rows = SEEDED.get(table.name)
        if rows and table.c.id.autoincrement:
            return f"{max(r['id'] for r in rows)}"
        return "1, false"

    return [f"setval(pg_get_serial_sequence('{t.name}', 'id'), {start(t)})" for t in tables if "id" in t.c]


@pytest.fixture(scope="session")
def instance_dir() -> Path:
    return _INSTANCE


class Client(FlaskClient):
    """Requests here reuse the test's app context (and so its session and ``g``).

    Make each one behave like a request of its own: it starts a fresh transaction
    (committing what the test set up, as a separate request would need), forgets
    the user Flask-Login cached, and ends the transaction it leaves open, as the
    end of a real request's app context would.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():
            return super().open(*args, **kwargs)
        _db.session.commit()
        g.pop("_login_user", None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _db.session.rollback()


@pytest.fixture(scope="session")
def app():
    # The tests' own session reads between requests; on SQLite it must not hold the write
    # lock meanwhile, or the live server and workers under test would wait for it.
    app = create_app("testing", SQLITE_IMMEDIATE_TRANSACTIONS=False)
    app.test_client_class = Client
    reset_database(app)
    return app


@pytest.fixture(autouse=True)
def db(request, app):
    # Tests that build a second app re-bind these globals; give them back to the session app.
    # (A new Celery app makes itself the thread's *current* app, which .delay() uses, not only the default.)
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    # Starting a worker or beat in this process sets Celery's process-wide "inside a worker" flag, and every
    # later eager result.get() would then refuse with "Never call result.get() within a task".
    celery_state._set_task_join_will_block(False)
    ctx = app.app_context()
    ctx.push()
    yield _db
    _db.session.remove()
    ctx.pop()
    empty_tables(app)


class Clock:
    """The test's clock: ``clock.set(when)`` stops the app's time at ``when`` (UK time if naive).

    Built on time-machine, which moves ``datetime.now`` and ``time.time`` for the whole process, so the
    app's one clock (``champions.core.clock``), itsdangerous' token stamps and SQLite all agree. A test
    that cares what time it is sets it here; every other test must pass on whatever date the suite runs.
    """

    def __init__(self, traveller):
        self._traveller = traveller

    def set(self, when: datetime) -> datetime:
        when = (when if when.tzinfo else when.replace(tzinfo=UK)).astimezone(UTC)
        self._traveller.move_to(when, tick=False)
        return when

    def advance(self, **delta) -> datetime:
        self._traveller.shift(timedelta(**delta))
        return now_utc()


@pytest.fixture
def clock(time_machine):
    return Clock(time_machine)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(db):
    return factories.Factory(db)


class Auth:
    def __init__(self, client, make):
        self.client = client
        self.make = make

    def login_as(self, role: str | None):
        """Sign in as a new user with ``role`` (None: stay anonymous). Returns the user."""
        if role is None:
            return None
        user = self.make.user(role=role)
        response = self.client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user


@pytest.fixture
def auth(client, make):
    return Auth(client, make)


def run_task(task, *args):
    """Run a task body as a worker would: outside the test's own transaction.

    On SQLite a test session still inside a read transaction would find its
    snapshot stale once the task commits, and its next write would fail.
    """
    _db.session.commit()
    result = task(*args)
    _db.session.commit()
    return result
