"""The migrations build the same schema as the models, from empty, on the database under test."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from champions.activities.models import ACTIVITY_COPIES
from champions.core.models import BOROUGH_CHOICES, BOROUGHS, TOPIC_CHOICES, TOPICS, Borough, Topic
from champions.extensions import db


def test_models_and_migrations_agree(app):
    # The session fixture upgraded an empty database to head; nothing may differ.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run 'flask db migrate': {diff}"


def test_reference_data_is_loaded_by_the_migration(db):
    boroughs = {b.code: b.population for b in db.session.scalars(select(Borough))}
    assert boroughs == {code: population for code, _, population in BOROUGHS}
    assert sum(boroughs.values()) == 2_868_700  # Greater Manchester, about 2.87 million
    assert {t.code for t in db.session.scalars(select(Topic))} == {code for code, _ in TOPICS}
    # Forms list these from the code, with no query: the very rows, in the order the database sorts them by name.
    assert list(db.session.execute(select(Borough.code, Borough.name).order_by(Borough.name))) == list(BOROUGH_CHOICES)
    assert list(db.session.execute(select(Topic.code, Topic.name).order_by(Topic.name))) == list(TOPIC_CHOICES)


@pytest.mark.once
def test_outcomes_already_recorded_get_their_activitys_time(tmp_path):
    """The migrations that keep copies of each outcome's activity (its time, f1b6d3a8c247; its type, date, borough
    and topic, b8e2c4a6d0f3) fill them in for the rows already there, then make them required: on a database of its
    own (SQLite here, the table rebuilt), with an outcome recorded a month after its activity, the outcome gets the
    activity's time, not its own, and the activity's other columns."""
    from flask_migrate import upgrade

    from champions import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before.sqlite'}")
    with app.app_context():
        upgrade(revision="e4a7c2d9b315")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO activities (id, type, occurred_on, borough_code, topic_code, people_reached,"
                " created_at, updated_at) VALUES (7, 'conversation', '2026-03-01', 'bolton', 'smoking', 4,"
                " '2026-03-01 18:00:00', '2026-03-01 18:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO activity_outcomes (activity_id, outcome_code, signposted, said_would_act, created_at,"
                " updated_at) VALUES (7, 'bowel_screening', 2, 1, '2026-04-01 09:00:00', '2026-04-01 09:00:00')"
            )
        upgrade()
        with db.engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT activity_created_at, created_at FROM activity_outcomes").all()
            copied = conn.exec_driver_sql(
                "SELECT activity_type, activity_occurred_on, activity_borough_code, activity_topic_code"
                " FROM activity_outcomes"
            ).all()
            columns = {c["name"]: c for c in inspect(conn).get_columns("activity_outcomes")}
        db.engine.dispose()
    assert [(str(a)[:19], str(c)[:19]) for a, c in kept] == [("2026-03-01 18:00:00", "2026-04-01 09:00:00")]
    assert [tuple(map(str, row)) for row in copied] == [("conversation", "2026-03-01", "bolton", "smoking")]
    copies = sorted(name for name in columns if name.startswith("activity_") and name != "activity_id")
    assert copies == sorted(ACTIVITY_COPIES)
    assert [columns[copy]["nullable"] for copy in copies] == [False] * len(copies)
