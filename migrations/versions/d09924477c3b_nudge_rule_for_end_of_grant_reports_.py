"""nudge rule for end-of-grant reports falling due

Revision ID: d09924477c3b
Revises: 1bdc693eccf3
Create Date: 2026-11-26 01:43:58.074711

"""

import sqlalchemy as sa
from alembic import op

from champions.core.clock import now_utc

# revision identifiers, used by Alembic.
revision = 'd09924477c3b'
down_revision = '1bdc693eccf3'
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
        "key": "grant-report-due", "name": "Your end-of-grant report is due soon", "condition": "grant_report_due",
        "params": {"days": 21}, "period_days": 60, "enabled": True, "holdout_percent": 0, "effect_days": 30,
        "subject": "{{ group_name }}: your Small Sparks report is due on {{ report_due }}",
        "body_text": (
            "Hello {{ first_name }},\n\nThe end-of-grant report for {{ group_name }} is due on {{ report_due }}. "
            "It asks what you spent against your budget, how many people you reached, and a short story if "
            "you would like to share one.\n\nFill it in here: {{ report_url }}\n"
        ),
        "body_html": (
            "<p>Hello {{ first_name }},</p><p>The end-of-grant report for {{ group_name }} is due on "
            "{{ report_due }}. It asks what you spent against your budget, how many people you reached, and a "
            "short story if you would like to share one.</p><p><a href=\"{{ report_url }}\">Fill in the report</a></p>"
        ),
        "created_at": now, "updated_at": now,
    }])


def downgrade():
    op.execute("DELETE FROM nudge_messages WHERE rule_id IN (SELECT id FROM nudge_rules WHERE key = 'grant-report-due')")
    op.execute("DELETE FROM nudge_rules WHERE key = 'grant-report-due'")
