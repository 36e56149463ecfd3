"""Payment tranches are voided or corrected, never deleted, and can wait on the end-of-grant report, which staff
approve, send back or waive

Reports sent before this migration are waiting for staff, except those of closed grants, which count as approved.

Revision ID: de46c96bf2c4
Revises: 5e1c0a7f0b21
Create Date: 2026-12-04 18:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "de46c96bf2c4"
down_revision = "5e1c0a7f0b21"
branch_labels = None
depends_on = None

KNOWN = "report_status IS NULL OR report_status IN ('submitted', 'returned', 'approved', 'waived')"


def upgrade():
    with op.batch_alter_table("grant_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waits_on_report", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("history", sa.JSON(), nullable=True))
    op.execute("UPDATE grant_payments SET history = '[]'")
    with op.batch_alter_table("grant_payments", schema=None) as batch_op:
        batch_op.alter_column("history", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("report_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("report_decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f("ck_grant_applications_report_status_known"), KNOWN)
    reported = "id IN (SELECT application_id FROM grant_reports)"
    op.execute(f"UPDATE grant_applications SET report_status = 'approved' WHERE status = 'closed' AND {reported}")
    op.execute(f"UPDATE grant_applications SET report_status = 'submitted' WHERE status <> 'closed' AND {reported}")


def downgrade():
    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_grant_applications_report_status_known"), type_="check")
        batch_op.drop_column("report_decided_at")
        batch_op.drop_column("report_reason")
        batch_op.drop_column("report_status")
    with op.batch_alter_table("grant_payments", schema=None) as batch_op:
        batch_op.drop_column("history")
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("waits_on_report")
