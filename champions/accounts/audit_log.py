"""The audit log exported as CSV rows; the export is itself recorded. Services flush; the request commits."""

from __future__ import annotations

import json

from sqlalchemy import Select

from champions.core import audit
from champions.core.db import as_utc
from champions.core.models import AuditEvent
from champions.extensions import db

CSV_LIMIT = 50_000
CSV_HEADER = ["id", "at", "who", "action", "target_type", "target_id", "ip", "details"]


def export_rows(query: Select, filters: dict[str, str]) -> list[list[object]]:
    """The newest events the query (of events and their actors' emails) finds, with the filters that chose them."""
    rows: list[list[object]] = [
        [
            event.id,
            as_utc(event.at).isoformat(),  # in UTC, saying so, on SQLite too (which keeps no offset)
            email or "",
            event.action,
            event.target_type or "",
            event.target_id or "",
            event.ip or "",
            json.dumps(event.details, ensure_ascii=False, sort_keys=True) if event.details else "",
        ]
        for event, email in db.session.execute(query.order_by(AuditEvent.id.desc()).limit(CSV_LIMIT))
    ]
    audit.record("audit_log.exported", None, filters=filters)
    return rows
