"""Workshops keep a calendar sequence and a cancellation reason; changes of when or where are recorded for the
emails that tell the people signed up

Revision ID: 8c4e2a9d1f37
Revises: de46c96bf2c4
Create Date: 2026-12-04 18:25:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8c4e2a9d1f37"
down_revision = "de46c96bf2c4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "workshop_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("old_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_place", sa.String(length=400), nullable=False),
        sa.Column("new_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_place", sa.String(length=400), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_changes_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_changes")),
    )
    with op.batch_alter_table("workshop_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workshop_changes_workshop_id"), ["workshop_id"], unique=False)


def downgrade():
    with op.batch_alter_table("workshop_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_changes_workshop_id"))
    op.drop_table("workshop_changes")
    with op.batch_alter_table("workshops", schema=None) as batch_op:
        batch_op.drop_column("sequence")
        batch_op.drop_column("cancel_reason")
