"""activity outcomes keep their activity's time (activity_created_at), and are indexed by champion and that time

Revision ID: f1b6d3a8c247
Revises: e4a7c2d9b315
Create Date: 2026-12-06 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f1b6d3a8c247"
down_revision = "e4a7c2d9b315"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity_outcomes") as batch_op:
        batch_op.add_column(sa.Column("activity_created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE activity_outcomes SET activity_created_at ="
        " (SELECT activities.created_at FROM activities WHERE activities.id = activity_outcomes.activity_id)"
    )
    with op.batch_alter_table("activity_outcomes") as batch_op:
        batch_op.alter_column("activity_created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index("ix_activity_outcomes_champion_id")
        batch_op.create_index(
            "ix_activity_outcomes_champion_activity_time",
            ["champion_id", "activity_created_at"],
            postgresql_include=["signposted"],
        )


def downgrade():
    with op.batch_alter_table("activity_outcomes") as batch_op:
        batch_op.drop_index("ix_activity_outcomes_champion_activity_time")
        batch_op.create_index("ix_activity_outcomes_champion_id", ["champion_id"])
        batch_op.drop_column("activity_created_at")
