"""activity outcomes keep a copy of their activity's type, date, borough and topic, so the dashboard's outcome
figures read the outcomes alone

Revision ID: b8e2c4a6d0f3
Revises: a3d5f7e9c1b4
Create Date: 2026-12-06 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b8e2c4a6d0f3"
down_revision = "a3d5f7e9c1b4"
branch_labels = None
depends_on = None

COPIES = {
    "activity_type": ("type", sa.String(20)),
    "activity_occurred_on": ("occurred_on", sa.Date()),
    "activity_borough_code": ("borough_code", sa.String(32)),
    "activity_topic_code": ("topic_code", sa.String(32)),
}


def upgrade():
    with op.batch_alter_table("activity_outcomes") as batch_op:
        for copy, (_, kind) in COPIES.items():
            batch_op.add_column(sa.Column(copy, kind, nullable=True))
    op.execute(
        f"UPDATE activity_outcomes SET ({', '.join(COPIES)}) ="
        f" (SELECT {', '.join(column for column, _ in COPIES.values())} FROM activities"
        " WHERE activities.id = activity_outcomes.activity_id)"
    )
    with op.batch_alter_table("activity_outcomes") as batch_op:
        for copy, (_, kind) in COPIES.items():
            batch_op.alter_column(copy, existing_type=kind, nullable=False)


def downgrade():
    with op.batch_alter_table("activity_outcomes") as batch_op:
        for copy in COPIES:
            batch_op.drop_column(copy)
