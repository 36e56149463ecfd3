"""Grant rounds can ask for a second approval above an amount and anonymise applications for reviewers;
an approval with fewer reviews than the round asks for keeps its reason

Revision ID: b7e3c1d9a4f2
Revises: 7b9e3c1d5a40
Create Date: 2026-12-04 18:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e3c1d9a4f2"
down_revision = "7b9e3c1d5a40"
branch_labels = None
depends_on = None

BEFORE = (
    "'draft', 'submitted', 'eligible', 'ineligible', 'under_review', 'approved', 'declined', 'paid_part', "
    "'paid_full', 'reported', 'closed'"
)
AFTER = BEFORE.replace("'under_review', ", "'under_review', 'awaiting_approval', ")


def upgrade():
    with op.batch_alter_table("grant_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_approval_above_pence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("anonymise_reviews", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_grant_rounds_second_approval_not_negative"), "second_approval_above_pence >= 0"
        )
    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("few_reviews_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("proposed_award_pence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("first_approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_grant_applications_first_approved_by_id_users"),
            "users",
            ["first_approved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(op.f("ck_grant_applications_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_grant_applications_status_known"), f"status IN ({AFTER})")


def downgrade():
    # An award still waiting for its second approval goes back to review.
    op.execute("UPDATE grant_applications SET status = 'under_review' WHERE status = 'awaiting_approval'")
    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_grant_applications_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_grant_applications_status_known"), f"status IN ({BEFORE})")
        batch_op.drop_constraint(op.f("fk_grant_applications_first_approved_by_id_users"), type_="foreignkey")
        batch_op.drop_column("first_approved_at")
        batch_op.drop_column("first_approved_by_id")
        batch_op.drop_column("proposed_award_pence")
        batch_op.drop_column("few_reviews_reason")
    with op.batch_alter_table("grant_rounds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_grant_rounds_second_approval_not_negative"), type_="check")
        batch_op.drop_column("anonymise_reviews")
        batch_op.drop_column("second_approval_above_pence")
