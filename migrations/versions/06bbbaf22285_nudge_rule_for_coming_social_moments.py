"""nudge rule for coming social moments

Revision ID: 06bbbaf22285
Revises: bbd25054ff88
Create Date: 2026-11-26 01:32:40.446699

"""

import sqlalchemy as sa
from alembic import op

from champions.core.clock import now_utc

# revision identifiers, used by Alembic.
revision = '06bbbaf22285'
down_revision = 'bbd25054ff88'
branch_labels = None
depends_on = None


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
    op.bulk_insert(rules, [{
        "key": "moment-coming-up", "name": "A social moment is coming up", "condition": "moment_upcoming",
        "params": {"days": 14}, "period_days": 30, "enabled": True, "holdout_percent": 10, "effect_days": 21,
        "subject": "{{ moment_name }} starts on {{ moment_starts }}: a moment to start a conversation",
        "body_text": (
            "Hello {{ first_name }},\n\n{{ moment_name }} starts on {{ moment_starts }}. Moments like this are a "
            "natural way to start a conversation about a topic you care about.\n\nSome ideas:\n{{ moment_actions }}"
            "\n\nWhen you have done something, log it: {{ log_url }}\n"
        ),
        "body_html": (
            "<p>Hello {{ first_name }},</p><p>{{ moment_name }} starts on {{ moment_starts }}. Moments like this are "
            "a natural way to start a conversation about a topic you care about.</p><p>Some ideas:</p>"
            "<p>{{ moment_actions }}</p><p><a href=\"{{ log_url }}\">Log what you did</a></p>"
        ),
        "created_at": now, "updated_at": now,
    }])


def downgrade():
    op.execute("DELETE FROM nudge_messages WHERE rule_id IN (SELECT id FROM nudge_rules WHERE key = 'moment-coming-up')")
    op.execute("DELETE FROM nudge_rules WHERE key = 'moment-coming-up'")
