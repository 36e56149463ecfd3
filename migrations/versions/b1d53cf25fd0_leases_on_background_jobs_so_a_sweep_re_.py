"""Leases on background jobs, so a periodic sweep re-queues what a dead worker left

Revision ID: b1d53cf25fd0
Revises: 0b6fd8f8b1ea
Create Date: 2026-12-03 07:54:00.051890

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b1d53cf25fd0"
down_revision = "0b6fd8f8b1ea"
branch_labels = None
depends_on = None

JOB_TABLES = ("dashboard_jobs", "export_jobs", "import_jobs")


def upgrade():
    for table in JOB_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("restarts", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emails_done_at", sa.DateTime(timezone=True), nullable=True))
    # Imports finished before this: their welcome emails are not re-sent, however late, by the new sweep.
    op.execute("UPDATE import_jobs SET emails_done_at = COALESCE(finished_at, created_at) WHERE status = 'done'")


def downgrade():
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("emails_done_at")
    for table in JOB_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("restarts")
            batch_op.drop_column("lease_until")
            batch_op.drop_column("lease_owner")
