"""roster search: trigram indexes for part of a name, an email or a postcode; organisations by name

Revision ID: c3f1a9d27b10
Revises: b7d41e6c2a90
Create Date: 2026-12-06 00:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3f1a9d27b10"
down_revision = "b7d41e6c2a90"
branch_labels = None
depends_on = None

# The expressions roster.staff_services._search compares, as the model declares them.
EXPRESSIONS = {
    "first_name": "lower(first_name)",
    "last_name": "lower(last_name)",
    "postcode": "replace(upper(postcode), ' ', '')",
}


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A trusted extension (PostgreSQL 13 and later): the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in EXPRESSIONS.items():
        op.create_index(
            f"ix_champions_{name}_search",
            "champions",
            [sa.text(expression)],
            postgresql_using="gin",
            postgresql_ops={expression: "gin_trgm_ops"},
        )
    op.create_index(
        "ix_users_email_search", "users", ["email"], postgresql_using="gin", postgresql_ops={"email": "gin_trgm_ops"}
    )
    op.create_index("ix_organisations_name", "organisations", ["name"])


def downgrade():
    op.drop_index("ix_organisations_name", table_name="organisations")
    op.drop_index("ix_users_email_search", table_name="users")
    for name in EXPRESSIONS:
        op.drop_index(f"ix_champions_{name}_search", table_name="champions")
