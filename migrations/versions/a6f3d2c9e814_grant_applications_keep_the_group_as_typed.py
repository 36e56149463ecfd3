"""Grant applications keep the applicant's group as typed; the register's organisation is set when staff confirm
it; staff may allow a group more than one application in a round

Revision ID: a6f3d2c9e814
Revises: 8c4e2a9d1f37
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a6f3d2c9e814"
down_revision = "8c4e2a9d1f37"
branch_labels = None
depends_on = None

# Applications made before this change were attached to a register organisation by their applicant; that
# organisation's details become the group's details as given, and the attachment stands as confirmed.
BACKFILL = """
UPDATE grant_applications SET
  group_name = (SELECT name FROM organisations o WHERE o.id = grant_applications.organisation_id),
  group_normalised_name = (SELECT normalised_name FROM organisations o WHERE o.id = grant_applications.organisation_id),
  group_number = (SELECT charity_number FROM organisations o WHERE o.id = grant_applications.organisation_id),
  group_postcode = (SELECT postcode FROM organisations o WHERE o.id = grant_applications.organisation_id),
  group_website = (SELECT website FROM organisations o WHERE o.id = grant_applications.organisation_id),
  group_type = (SELECT CASE o.type WHEN 'charity' THEN 'charity' WHEN 'faith' THEN 'faith'
                WHEN 'grassroots' THEN 'constituted' ELSE 'other' END
                FROM organisations o WHERE o.id = grant_applications.organisation_id)
WHERE organisation_id IS NOT NULL
"""


def upgrade():
    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_name", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("group_normalised_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("group_type", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("group_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("group_postcode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("group_website", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("group_limit", sa.Integer(), nullable=True))
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_grant_applications_group_normalised_name"), ["group_normalised_name"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grant_applications_group_number"), ["group_number"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_grant_applications_group_limit_positive"), "group_limit IS NULL OR group_limit >= 1"
        )
    op.execute(BACKFILL)


def downgrade():
    # An application no one has confirmed an organisation for cannot go back to needing one.
    op.execute("DELETE FROM grant_applications WHERE organisation_id IS NULL")
    with op.batch_alter_table("grant_applications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_grant_applications_group_limit_positive"), type_="check")
        batch_op.drop_index(batch_op.f("ix_grant_applications_group_number"))
        batch_op.drop_index(batch_op.f("ix_grant_applications_group_normalised_name"))
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("group_limit")
        batch_op.drop_column("group_website")
        batch_op.drop_column("group_postcode")
        batch_op.drop_column("group_number")
        batch_op.drop_column("group_type")
        batch_op.drop_column("group_normalised_name")
        batch_op.drop_column("group_name")
