"""tombstones: what was erased, merged away or deleted

Revision ID: 914acecb3714
Revises: b4e8d2a6f913
Create Date: 2026-12-04 21:58:00

The API's deletions feed read erasures and merges from the audit log; it now reads tombstones, which every removal
writes. The removals the audit log already records are carried over, at their own times.
"""

import sqlalchemy as sa
from alembic import op

revision = "914acecb3714"
down_revision = "b4e8d2a6f913"
branch_labels = None
depends_on = None


def upgrade():
    tombstones = op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
    )
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.create_index("ix_tombstones_at_id", ["at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tombstones_table_name"), ["table_name"], unique=False)
    _carry_over(tombstones)


def _number(value):
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _carry_over(tombstones):
    bind = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String),
        sa.column("target_id", sa.String),
        sa.column("details", sa.JSON),
    )
    champions = sa.table("champions", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer))
    activities = sa.table("activities", sa.column("id", sa.Integer))
    champion_of = dict(bind.execute(sa.select(champions.c.user_id, champions.c.id)).all())
    activities_now = set(bind.scalars(sa.select(activities.c.id)))
    actions = ("person.erased", "champion.merged_away", "organisation.merged", "activity.deleted")
    rows = []
    query = sa.select(events).where(events.c.action.in_(actions)).order_by(events.c.at, events.c.id)
    for event in bind.execute(query):
        details = event.details or {}
        target = _number(event.target_id)
        if event.action == "person.erased":
            row = ("champions", champion_of.get(target), "erased", None)
        elif event.action == "champion.merged_away":
            row = ("champions", target, "merged", _number(details.get("kept")))
        elif event.action == "organisation.merged":
            row = ("organisations", _number(details.get("merged_id")), "merged", target)
        else:  # a deleted activity, unless it was put back under its id
            row = ("activities", None if target in activities_now else target, "deleted", None)
        if row[1] is not None:
            rows.append(
                {"table_name": row[0], "record_id": row[1], "kind": row[2], "merged_into_id": row[3], "at": event.at}
            )
    if rows:
        op.bulk_insert(tombstones, rows)


def downgrade():
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tombstones_table_name"))
        batch_op.drop_index("ix_tombstones_at_id")
    op.drop_table("tombstones")
