"""organisations found by part of their name: a trigram index of their names in lower case, for the names the
sign-up form suggests as someone types and the roster's "heard via organisation" filter

Revision ID: f2b4d6e8a0c1
Revises: e6d8f0a2b4c7
Create Date: 2026-12-06 19:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f2b4d6e8a0c1"
down_revision = "e6d8f0a2b4c7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_organisations_name_search",
        "organisations",
        [sa.text("lower(name)")],
        postgresql_using="gin",
        postgresql_ops={"lower(name)": "gin_trgm_ops"},
    )


def downgrade():
    op.drop_index("ix_organisations_name_search", table_name="organisations")
