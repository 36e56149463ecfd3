"""outcomes in end-of-grant reports

Revision ID: b7d41e6c2a90
Revises: 89f3318bf0fb
Create Date: 2026-12-05 21:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e6c2a90'
down_revision = '89f3318bf0fb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grant_report_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('outcome_code', sa.String(length=32), nullable=False),
    sa.Column('signposted', sa.Integer(), nullable=False),
    sa.Column('said_would_act', sa.Integer(), nullable=False),
    sa.Column('did_act', sa.Integer(), nullable=True),
    sa.CheckConstraint('did_act IS NULL OR did_act BETWEEN 0 AND said_would_act', name=op.f('ck_grant_report_outcomes_did_within_said')),
    sa.CheckConstraint('said_would_act BETWEEN 0 AND signposted', name=op.f('ck_grant_report_outcomes_said_within_signposted')),
    sa.CheckConstraint('signposted BETWEEN 1 AND 10000000', name=op.f('ck_grant_report_outcomes_signposted_range')),
    sa.ForeignKeyConstraint(['outcome_code'], ['outcome_kinds.code'], name=op.f('fk_grant_report_outcomes_outcome_code_outcome_kinds')),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_grant_report_outcomes_report_id_grant_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_report_outcomes')),
    sa.UniqueConstraint('report_id', 'outcome_code', name='uq_grant_report_outcomes_report_outcome')
    )
    with op.batch_alter_table('grant_report_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_report_outcomes_outcome_code'), ['outcome_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_report_outcomes_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('grant_report_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_report_outcomes_report_id'))
        batch_op.drop_index(batch_op.f('ix_grant_report_outcomes_outcome_code'))

    op.drop_table('grant_report_outcomes')
