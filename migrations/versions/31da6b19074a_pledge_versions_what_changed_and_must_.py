"""pledge versions: what changed and must accept

A pledge version carries a short summary of what changed since the one before, shown to champions who accepted
an earlier version, and whether champions must accept it for the pledge step of onboarding to count as done.

Revision ID: 31da6b19074a
Revises: 605b0ba2b1f6
Create Date: 2026-12-04 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "31da6b19074a"
down_revision = "605b0ba2b1f6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("must_accept", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_column("must_accept")
        batch_op.drop_column("summary")
