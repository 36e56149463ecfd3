"""outbox messages record the recipient's account

Revision ID: b7a7d41be13e
Revises: 50b3c423a10c
Create Date: 2026-12-04 16:09:52.578339

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7a7d41be13e'
down_revision = '50b3c423a10c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_user_id_users"), "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
    # The emails already sent to an account's current address are its own.
    op.execute(
        "UPDATE outbox_messages SET user_id = "
        "(SELECT users.id FROM users WHERE users.email = lower(outbox_messages.to_address))"
    )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_user_id"))
        batch_op.drop_column("user_id")
