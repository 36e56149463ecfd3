"""A hash of the marker a sign-up leaves in its browser's session: the emailed link signs the person in on that
browser only (following someone else's link no longer signs you in to their account)

Revision ID: 9c4e2b7a1f03
Revises: 237d67fad5da
Create Date: 2026-12-03 13:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4e2b7a1f03"
down_revision = "237d67fad5da"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_up_marker_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_sign_up_marker_hash"), ["sign_up_marker_hash"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_sign_up_marker_hash"), type_="unique")
        batch_op.drop_column("sign_up_marker_hash")
