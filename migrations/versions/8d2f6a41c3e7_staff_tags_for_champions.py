"""Staff tags for champions: a list of tags (names unique whatever their case) and which champions have which

Revision ID: 8d2f6a41c3e7
Revises: b7e3c1d9a4f2
Create Date: 2026-12-04 18:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8d2f6a41c3e7"
down_revision = "b7e3c1d9a4f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tags_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name_key", name=op.f("uq_tags_name_key")),
    )
    op.create_table(
        "champion_tags",
        sa.Column("champion_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["champion_id"], ["champions.id"], name=op.f("fk_champion_tags_champion_id_champions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_champion_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_champion_tags_added_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("champion_id", "tag_id", name=op.f("pk_champion_tags")),
    )
    op.create_index(op.f("ix_champion_tags_tag_id"), "champion_tags", ["tag_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_champion_tags_tag_id"), table_name="champion_tags")
    op.drop_table("champion_tags")
    op.drop_table("tags")
