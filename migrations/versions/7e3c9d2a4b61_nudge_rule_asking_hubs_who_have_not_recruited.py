"""a nudge rule, switched off, asking hubs who have not recruited lately

Revision ID: 7e3c9d2a4b61
Revises: 1ce0e1a489d0
Create Date: 2026-12-04 22:30:00

"""

import sqlalchemy as sa
from alembic import op

from champions.core.clock import now_utc

# revision identifiers, used by Alembic.
revision = '7e3c9d2a4b61'
down_revision = '1ce0e1a489d0'
branch_labels = None
depends_on = None

KEY = "ask-hubs"


def upgrade():
    rules = sa.table(
        "nudge_rules",
        sa.column("key", sa.String), sa.column("name", sa.String), sa.column("condition", sa.String),
        sa.column("params", sa.JSON), sa.column("subject", sa.String), sa.column("body_text", sa.Text),
        sa.column("body_html", sa.Text), sa.column("period_days", sa.Integer), sa.column("enabled", sa.Boolean),
        sa.column("holdout_percent", sa.Integer), sa.column("effect_days", sa.Integer),
        sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
    )
    now = now_utc()
    # Switched off: staff turn it on once a network run has found the hubs and they have read the email.
    op.bulk_insert(rules, [
        {
            "key": KEY, "name": "Ask hubs who have not recruited lately", "condition": "role_no_recruit",
            "params": {"role": "hub", "days": 60}, "period_days": 90, "enabled": False, "holdout_percent": 20,
            "effect_days": 30,
            "subject": "You know a lot of people, {{ first_name }}",
            "body_text": (
                "Hello {{ first_name }},\n\nYou are linked to more champions than almost anyone in the programme. "
                "Is there someone you know who would make a good champion too? Your own link for signing people "
                "up is on your network page.\n\nSee your network: {{ network_url }}\n"
            ),
            "body_html": (
                "<p>Hello {{ first_name }},</p><p>You are linked to more champions than almost anyone in the "
                "programme. Is there someone you know who would make a good champion too? Your own link for "
                "signing people up is on your network page.</p><p><a href=\"{{ network_url }}\">See your "
                "network</a></p>"
            ),
            "created_at": now, "updated_at": now,
        },
    ])


def downgrade():
    op.execute(f"DELETE FROM nudge_messages WHERE rule_id IN (SELECT id FROM nudge_rules WHERE key = '{KEY}')")
    op.execute(f"DELETE FROM nudge_rules WHERE key = '{KEY}'")
