"""The declarative base, time helpers and the after-commit queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast, overload

from sqlalchemy import (
    Column,
    Connection,
    CursorResult,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    Select,
    Table,
    event,
    insert,
    text,
)
from sqlalchemy.engine import Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session
from sqlalchemy.schema import ColumnDefault

from champions.core.clock import now_utc

__all__ = ["now_utc"]  # re-exported: models take their timestamps from the one clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    # Every datetime column is timezone-aware: times are stored in UTC.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )
    if TYPE_CHECKING:
        # Every model maps a Table (SQLAlchemy types it as any FromClause, which a model could map instead).
        __table__: ClassVar[Table]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE run by ``Session.execute`` matched. The session returns a CursorResult
    for those statements, which counts them, though it is typed to return the Result of any statement."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


_QUEUE_KEY = "champions_after_commit"


def after_commit(session: Session, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn`` once the session's current transaction has committed; drop it on rollback.

    Email and ``.delay()`` go through here, so a rolled-back request sends and queues nothing.
    """
    session.info.setdefault(_QUEUE_KEY, []).append((fn, args, kwargs))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy fires after_commit for it too): nothing is committed yet
    queued = session.info.pop(_QUEUE_KEY, [])
    for fn, args, kwargs in queued:
        fn(*args, **kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)


def configure_sqlite(engine: Engine, immediate: bool = True) -> None:
    """Make SQLite behave like a real transactional database for the embedded stack.

    pysqlite starts transactions lazily and commits on SAVEPOINT release, which
    breaks nested transactions; we begin them ourselves. BEGIN IMMEDIATE takes
    the write lock up front, so two writers wait (busy_timeout) instead of
    failing with a deadlock; WAL lets readers carry on meanwhile.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # each statement is its own transaction: an open one would never be committed
        conn.exec_driver_sql(begin)


def configure_postgresql(engine: Engine) -> None:
    """Turn PostgreSQL's JIT compiler, parallel query and one-plan-for-any-values off for the app's connections, and
    read times in UTC.

    A page's query asks for a few rows (a page of the roster is the first 51 in some order). Planned in parallel,
    each worker walked its share of an index to the end of what it could find, rather than stopping at 51: a
    search at a million champions took 210 ms instead of 19, and two extra processes. The big aggregates of the
    background jobs get the workers back (roomy_aggregates).

    The app's queries, the dashboard aggregates included, each run for well under a second, and JIT spends
    longer compiling the larger ones than they take to run: measured, the programme snapshot at 100,000
    champions took a third longer with it.

    Every statement is planned for its own values. The driver (psycopg) prepares a statement once it has run five
    times on a connection, and PostgreSQL then switches to one plan for any values when that plan's estimate is no
    worse. For a search that estimate is blind: a rare word wants the trigram index, a common one the sort's. At
    100,000 champions, staff searching by name and by postcode went from 30 ms to 70 and 95 ms a search after
    the tenth on a connection. The driver forgets its prepared statements when a transaction rolls back, but a
    page that records a view (the roster, a champion) commits, so a connection serving staff keeps them. Planning
    each run costs a fraction of a millisecond; the prepared statement still saves parsing.

    Every time is read in UTC, whatever the server's own time zone: the driver hands back a ``timestamptz`` in the
    connection's zone, and the app's times are UTC (a file or the API writing ``+00:00``, a date taken from one).

    Set once per connection (and committed, so the pool's rollback on return does not undo it).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.execute("SET plan_cache_mode = force_custom_plan")
            cursor.execute("SET TimeZone = 'UTC'")
        dbapi_connection.commit()


#: Memory each sort and hash of a big aggregate may use (PostgreSQL's work_mem, 4 MB by default). At a million
#: champions the programme figures group twenty million activities: with 4 MB they spilled gigabytes to temporary
#: files, and took longer per row than at 100,000.
AGGREGATE_WORK_MEM = "64MB"


def roomy_aggregates(session: Session | scoped_session[Any]) -> None:
    """Let the big aggregates of the rest of this transaction sort and hash in memory (``AGGREGATE_WORK_MEM``) and
    use the server's parallel workers, which the app's connections otherwise do without (configure_postgresql).
    PostgreSQL only; SET LOCAL, so it ends with the transaction and never stays on a pooled connection."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{AGGREGATE_WORK_MEM}'"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))


def driver_rows(session: Session | scoped_session[Any], statement: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``statement`` as the database driver returns it: plain tuples, with no SQLAlchemy row built and
    no result type applied. For reading hundreds of thousands of ids and codes at once (the network analysis reads
    every workshop pair), where building a row for each took longer than the query. The statement runs as any
    other (the session flushes first, parameters are converted by their types, engine events see it); only the
    rows skip SQLAlchemy. So only for columns whose driver values are already what the caller wants (integers and
    text, not times: SQLite returns those as text)."""
    session.flush()  # what a session's own execute would do first
    result = session.connection().execute(statement)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


#: What ``in_index_order`` turns off: building a hash table to join or to group.
HASHING = ("enable_hashjoin", "enable_hashagg")


@contextmanager
def in_index_order(session: Session | scoped_session[Any]) -> Iterator[None]:
    """Within, PostgreSQL reads in index order what it joins or groups, and merges and groups the rows as they come,
    rather than building a hash table. Its costs do not see that a hash of a million rows outgrows the processor's
    caches: each probe is then a trip to memory, and a grouping that outgrows work_mem spills to disk. At a million
    champions: the nudge effects (a join a message) took 3.5 s against 4.3 s hashed, and the onboarding funnel (a
    group a champion) 1.3 s against 2.0 s; the same or better at 100,000. SET LOCAL, and afterwards each setting is
    put back to what it was before, even when the block raised; after a database error the transaction is aborted
    and its rollback puts them back (running anything then would hide the error)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = {name: session.scalar(text("SELECT current_setting(:name)"), {"name": name}) for name in HASHING}
    for name in HASHING:
        session.execute(text("SELECT set_config(:name, 'off', true)"), {"name": name})
    failed_in_database = False
    try:
        yield
    except DBAPIError:
        failed_in_database = True
        raise
    finally:
        if not failed_in_database:
            for name, value in before.items():
                session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def bulk_insert(
    session: Session | scoped_session[Any], table: Table, rows: list[dict[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """Insert many rows at once, in the session's transaction; their ids, in order, when ``return_ids``.

    PostgreSQL gets COPY (ids drawn from the table's sequence first), which is several times faster than
    even a multi-row INSERT; other databases get one multi-row INSERT. Every row must have the same keys,
    all of them columns. Column defaults set in Python are filled in here and values go through their
    column type (JSON is serialised), because COPY knows neither. A default SQLAlchemy would compute in
    SQL cannot be filled in: give such a column a value, or it is an error rather than a silent NULL.
    Pending ORM changes are flushed first, so rows here may refer to them. COPY is not a statement
    SQLAlchemy runs, so engine events (statement logging, counters) do not see these rows.
    """
    if not rows:
        return []
    _check_same_columns(table, rows)
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_rows(connection, table, rows, return_ids)
    return _insert_rows(connection, table, rows, return_ids)


def _check_same_columns(table: Table, rows: list[dict[str, Any]]) -> None:
    keys = set(rows[0])
    unknown = keys - set(table.c.keys())
    if unknown or any(set(row) != keys for row in rows):
        raise ValueError(f"bulk_insert into {table.name}: every row needs the same columns (unknown: {unknown})")


def _insert_rows(connection: Connection, table: Table, rows: list[dict[str, Any]], return_ids: bool) -> list[int]:
    """One multi-row INSERT; with RETURNING, ids in the rows' order, when they are wanted."""
    statement = insert(table)
    if not return_ids:
        connection.execute(statement, rows)
        return []
    returning = statement.returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.scalars(returning, rows).all())


def _copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]], return_ids: bool) -> list[int]:
    """PostgreSQL's COPY: each row with its Python defaults filled in and its values encoded by column type."""
    given = set(rows[0]) | ({"id"} if return_ids else set())
    columns = _copy_columns(table, given)
    ids = _draw_ids(connection, table, len(rows)) if return_ids else []
    processors = [(c.name, _bind_processor(c, connection.dialect)) for c in columns]
    names = [name for name, _ in processors]
    plain = all(process is None for _, process in processors)  # nothing to encode: values go as they are
    with _copy_into(connection, table, names) as copy:
        for values in _complete_rows(rows, ids, [c for c in columns if c.name not in given]):
            if plain:
                copy.write_row([values[name] for name in names])
            else:
                copy.write_row([_encoded(values[name], process) for name, process in processors])
    return ids


def _complete_rows(
    rows: list[dict[str, Any]], ids: list[int], defaulted: list[Column[Any]]
) -> Iterator[dict[str, Any]]:
    """Each row with its drawn id, if any, and the defaults of the columns it leaves out, computed row by row."""
    # _copy_columns has refused a column whose default Python cannot compute, so none is skipped here.
    defaults = {c.name: make for c in defaulted if (make := _python_default(c)) is not None}
    if not defaults and not ids:
        yield from rows
        return
    for index, row in enumerate(rows):
        values = {**{name: make(None) for name, make in defaults.items()}, **row}
        if ids:
            values["id"] = ids[index]
        yield values


def _copy_columns(table: Table, given: set[str]) -> list[Column[Any]]:
    """The columns COPY writes: those the rows give and those with a default, which must be one Python can
    compute. PostgreSQL fills in the others (the id from its sequence, unless drawn here)."""
    defaulted = [c for c in table.columns if c.name not in given and c.default is not None]
    unfillable = [c.name for c in defaulted if _python_default(c) is None]
    if unfillable:
        raise ValueError(f"bulk_insert into {table.name}: give values for {unfillable} (SQL-side defaults)")
    return [c for c in table.columns if c.name in given or c.default is not None]


def _draw_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` ids from the table's sequence, so the caller knows each row's id before COPY writes it."""
    draw = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    table_name = connection.dialect.identifier_preparer.format_table(table)
    return list(connection.scalars(draw, {"table": table_name, "n": count}))


def _bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What the column's type does to a value on its way in (JSON is serialised), which COPY would skip; None when
    the value goes in as it is."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _encoded(value: Any, process: Callable[[Any], Any] | None) -> Any:
    return value if process is None or value is None else process(value)


@contextmanager
def _copy_into(connection: Connection, table: Table, names: list[str]) -> Iterator[Any]:
    preparer = connection.dialect.identifier_preparer
    into = f"COPY {preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    if driver is None:  # only a connection the pool has invalidated has none
        raise RuntimeError("bulk_insert: the database connection was invalidated")
    with driver.cursor() as cursor, cursor.copy(into) as copy:
        yield copy


def _python_default(column: Column[Any]) -> Callable[[Any], Any] | None:
    default = column.default
    if not isinstance(default, ColumnDefault) or not (default.is_scalar or default.is_callable):
        return None
    if default.is_scalar:
        value = default.arg
        return lambda _context: value
    return default.arg
