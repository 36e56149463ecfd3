"""roster: champions by (created_at, id), holding on PostgreSQL what a search compares, in place of created_at alone

Revision ID: e4a7c2d9b315
Revises: d8b2e6f41a7c
Create Date: 2026-12-06 09:00:00
"""

from alembic import op

revision = "e4a7c2d9b315"
down_revision = "d8b2e6f41a7c"
branch_labels = None
depends_on = None

INCLUDED = ["merged_into_id", "first_name", "last_name", "postcode", "user_id"]


def upgrade():
    op.create_index("ix_champions_created_at_id", "champions", ["created_at", "id"], postgresql_include=INCLUDED)
    op.drop_index("ix_champions_created_at", table_name="champions")


def downgrade():
    op.create_index("ix_champions_created_at", "champions", ["created_at"])
    op.drop_index("ix_champions_created_at_id", table_name="champions")
