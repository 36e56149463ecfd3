"""core.db.driver_rows: the driver's own tuples for a Core SELECT, the same rows as SQLAlchemy's, on either database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from champions.core.db import driver_rows
from champions.profiles.models import Champion


def test_driver_rows_are_the_rows_sqlalchemy_returns_with_their_parameters(db, make):
    people = [make.champion(first_name=name, borough_code="bolton") for name in ("Ann", "Bob", "Cy", "Di")]
    make.champion(first_name="Ed", borough_code="bury")
    db.session.commit()
    wanted = [people[0].id, people[2].id, people[3].id]
    statement = (
        select(Champion.id, Champion.first_name)
        .where(Champion.borough_code == "bolton", Champion.id.in_(wanted), Champion.first_name != "Di")
        .order_by(Champion.id)
    )
    rows = driver_rows(db.session, statement)
    assert rows == [tuple(row) for row in db.session.execute(statement)]
    assert rows == [(people[0].id, "Ann"), (people[2].id, "Cy")]
    assert all(type(row) is tuple for row in rows)
    assert driver_rows(db.session, statement.where(Champion.first_name == "Nobody")) == []


def test_driver_rows_convert_parameters_by_type_and_see_pending_changes(db, make):
    """A time compared as the column stores it (SQLite keeps UTC text), and a change not yet flushed is seen, as by
    the session's own execute."""
    champion = make.champion(first_name="Zed")
    champion.created_at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    db.session.commit()
    at = select(Champion.id).where(Champion.created_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    assert driver_rows(db.session, at) == [(champion.id,)]
    later = select(Champion.id).where(Champion.created_at > datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    assert driver_rows(db.session, later) == []
    champion.first_name = "Changed"  # pending
    assert driver_rows(db.session, select(Champion.first_name).where(Champion.id == champion.id)) == [("Changed",)]
