"""the index of stage changes by champion holds each change's stage and time (on PostgreSQL), so the dashboard's
funnel reads the index alone, in champion order

Revision ID: d4b6f8a0c2e5
Revises: c9f1e3a5b7d2
Create Date: 2026-12-06 14:40:00
"""

from alembic import op

revision = "d4b6f8a0c2e5"
down_revision = "c9f1e3a5b7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_stage_changes_champion_id", table_name="stage_changes")
    op.create_index(
        "ix_stage_changes_champion_id",
        "stage_changes",
        ["champion_id"],
        postgresql_include=["to_stage", "changed_at"],
    )


def downgrade():
    op.drop_index("ix_stage_changes_champion_id", table_name="stage_changes")
    op.create_index("ix_stage_changes_champion_id", "stage_changes", ["champion_id"])
