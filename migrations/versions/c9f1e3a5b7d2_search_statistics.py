"""roster search: finer statistics on the email address and the postcode searched, so the planner knows how many
match part of one (PostgreSQL)

Revision ID: c9f1e3a5b7d2
Revises: b8e2c4a6d0f3
Create Date: 2026-12-06 14:00:00
"""

from alembic import op

revision = "c9f1e3a5b7d2"
down_revision = "b8e2c4a6d0f3"
branch_labels = None
depends_on = None

# Each address is unique, as nearly every postcode is, so PostgreSQL estimates how many match a LIKE '%part%' from
# the share of its histogram's bounds that match: with the default 100 bounds, a part in 2% of a million addresses
# ("ahme") matched none of them in one sample, was estimated at 100 rows, and the search read all 20,000 matches
# and their champions (160 ms) instead of walking the newest champions until a page was found (15 ms). A thousand
# bounds make the share a measure, not luck.
TARGET = 1000


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE users ALTER COLUMN email SET STATISTICS {TARGET}")
    op.execute(f"ALTER INDEX ix_champions_postcode_search ALTER COLUMN 1 SET STATISTICS {TARGET}")
    op.execute("ANALYZE users")
    op.execute("ANALYZE champions")


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE users ALTER COLUMN email SET STATISTICS -1")
    op.execute("ALTER INDEX ix_champions_postcode_search ALTER COLUMN 1 SET STATISTICS -1")
