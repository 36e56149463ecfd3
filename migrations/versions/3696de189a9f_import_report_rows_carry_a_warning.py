"""Import report rows carry a warning: a row imported but for staff to check (a postcode outside Greater
Manchester, or in another borough than the one given)

Revision ID: 3696de189a9f
Revises: b7a7d41be13e
Create Date: 2026-12-04 17:07:28.565117

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3696de189a9f"
down_revision = "b7a7d41be13e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warning", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_column("warning")
