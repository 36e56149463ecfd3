"""The migrations build the same schema as the models, from empty, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from champions.core.models import BOROUGHS, TOPICS, Borough, Topic
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
