"""roster search: an index of each address's local part reversed, for a search by a whole email address

Revision ID: d8b2e6f41a7c
Revises: c3f1a9d27b10
Create Date: 2026-12-06 03:30:00
"""

from alembic import op

revision = "d8b2e6f41a7c"
down_revision = "c3f1a9d27b10"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL only (SQLite has neither reverse() nor split_part(), and no trigram index to be slow).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_users_email_local_reversed ON users"
            " (reverse(split_part(email, '@', 1)) text_pattern_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_users_email_local_reversed", table_name="users")
