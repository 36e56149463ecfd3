"""the roster sorted by most recent activity: champions by (last activity, or 1900-01-01 for none, id), so a page of
it reads its fifty rows from an index instead of sorting every champion

Revision ID: e6d8f0a2b4c7
Revises: d4b6f8a0c2e5
Create Date: 2026-12-06 15:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e6d8f0a2b4c7"
down_revision = "d4b6f8a0c2e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_champions_last_activity_id",
        "champions",
        [sa.func.coalesce(sa.text("last_activity_on"), sa.text("'1900-01-01'")), "id"],
    )


def downgrade():
    op.drop_index("ix_champions_last_activity_id", table_name="champions")
