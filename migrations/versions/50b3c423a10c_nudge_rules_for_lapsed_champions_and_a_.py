"""nudge rules for lapsed champions and a new pledge version

Revision ID: 50b3c423a10c
Revises: 7a564afe19cf
Create Date: 2026-12-04 16:05:00

"""

import sqlalchemy as sa
from alembic import op

from champions.core.clock import now_utc

# revision identifiers, used by Alembic.
revision = '50b3c423a10c'
down_revision = '7a564afe19cf'
branch_labels = None
depends_on = None

KEYS = ("come-back", "pledge-updated")


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
    op.bulk_insert(rules, [
        {
            "key": "come-back", "name": "Welcome back (lapsed champions)", "condition": "lapsed",
            "params": {"days": 14}, "period_days": 90, "enabled": True, "holdout_percent": 10, "effect_days": 30,
            "subject": "We would love to hear from you again, {{ first_name }}",
            "body_text": (
                "Hello {{ first_name }},\n\nIt has been a while since you logged a conversation. There is no catch-up "
                "to do: any chat about screening or spotting cancer early counts, however small.\n\n"
                "Log an activity: {{ log_url }}\n"
            ),
            "body_html": (
                "<p>Hello {{ first_name }},</p><p>It has been a while since you logged a conversation. There is no "
                "catch-up to do: any chat about screening or spotting cancer early counts, however small.</p>"
                "<p><a href=\"{{ log_url }}\">Log an activity</a></p>"
            ),
            "created_at": now, "updated_at": now,
        },
        {
            "key": "pledge-updated", "name": "The champion pledge has changed", "condition": "pledge_updated",
            "params": {"days": 2}, "period_days": 30, "enabled": True, "holdout_percent": 10, "effect_days": 30,
            "subject": "The champion pledge has changed, {{ first_name }}",
            "body_text": (
                "Hello {{ first_name }},\n\nWe have updated the champion pledge you made. Your home page shows what "
                "changed, with the new words beside the old.\n\nRead the new pledge: {{ pledge_url }}\n"
            ),
            "body_html": (
                "<p>Hello {{ first_name }},</p><p>We have updated the champion pledge you made. Your home page shows "
                "what changed, with the new words beside the old.</p>"
                "<p><a href=\"{{ pledge_url }}\">Read the new pledge</a></p>"
            ),
            "created_at": now, "updated_at": now,
        },
    ])


def downgrade():
    keys = ", ".join(f"'{key}'" for key in KEYS)
    op.execute(f"DELETE FROM nudge_messages WHERE rule_id IN (SELECT id FROM nudge_rules WHERE key IN ({keys}))")
    op.execute(f"DELETE FROM nudge_rules WHERE key IN ({keys})")
