"""the index of champions by recruiter holds whether each was merged away (on PostgreSQL), so the dashboard counts
each recruiter's live recruits from the index alone

Revision ID: a3d5f7e9c1b4
Revises: f1b6d3a8c247
Create Date: 2026-12-06 13:30:00
"""

from alembic import op

revision = "a3d5f7e9c1b4"
down_revision = "f1b6d3a8c247"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_champions_recruited_by_id", table_name="champions")
    op.create_index(
        "ix_champions_recruited_by_id", "champions", ["recruited_by_id"], postgresql_include=["merged_into_id"]
    )


def downgrade():
    op.drop_index("ix_champions_recruited_by_id", table_name="champions")
    op.create_index("ix_champions_recruited_by_id", "champions", ["recruited_by_id"])
