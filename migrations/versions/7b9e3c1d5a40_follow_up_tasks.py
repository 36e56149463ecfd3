"""Follow-up tasks on champions, organisations and grant applications, their daily digest, and each staff member's
choice about it

Revision ID: 7b9e3c1d5a40
Revises: c5a8e2f14b93
Create Date: 2026-12-04 18:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b9e3c1d5a40"
down_revision = "c5a8e2f14b93"
branch_labels = None
depends_on = None

ONE_RECORD = (
    "(CASE WHEN champion_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN application_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade():
    op.create_table(
        "followup_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("champion_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(ONE_RECORD, name=op.f("ck_followup_tasks_one_record")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["grant_applications.id"],
            name=op.f("fk_followup_tasks_application_id_grant_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_followup_tasks_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["champion_id"], ["champions.id"], name=op.f("fk_followup_tasks_champion_id_champions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_followup_tasks_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_followup_tasks_done_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_followup_tasks_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_tasks")),
    )
    with op.batch_alter_table("followup_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_tasks_champion_id"), ["champion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_tasks_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_tasks_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_tasks_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_tasks_done_by_id"), ["done_by_id"], unique=False)
        batch_op.create_index(
            "ix_followup_tasks_assignee_open", ["assignee_id", "done_at", "due_on", "id"], unique=False
        )
        batch_op.create_index("ix_followup_tasks_open_due", ["done_at", "due_on"], unique=False)

    op.create_table(
        "followup_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_followup_digests_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_digests")),
        sa.UniqueConstraint("user_id", "day", name="uq_followup_digests_user_day"),
    )
    with op.batch_alter_table("followup_digests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_digests_day"), ["day"], unique=False)

    op.create_table(
        "followup_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("daily_digest", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_followup_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_followup_preferences")),
    )


def downgrade():
    op.drop_table("followup_preferences")
    with op.batch_alter_table("followup_digests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_digests_day"))
    op.drop_table("followup_digests")
    with op.batch_alter_table("followup_tasks", schema=None) as batch_op:
        for name in (
            "open_due",
            "assignee_open",
            "done_by_id",
            "created_by_id",
            "application_id",
            "organisation_id",
            "champion_id",
        ):
            batch_op.drop_index(f"ix_followup_tasks_{name}")
    op.drop_table("followup_tasks")
