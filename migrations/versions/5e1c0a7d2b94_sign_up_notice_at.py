"""When an address's owner was last told that someone tried to sign up with it (sign-up answers the same for
known and unknown addresses, and the owner gets at most one such email an hour)

Revision ID: 5e1c0a7d2b94
Revises: f20836fee524
Create Date: 2026-12-03 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1c0a7d2b94"
down_revision = "f20836fee524"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_up_notice_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("sign_up_notice_at")
