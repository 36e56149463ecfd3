"""``/api/v1/deletions``: records that left the API since a time (erased, or merged into another), as ids and
kind only, so that a partner's copy can follow. Read from the audit log's events of erasure and merging (written by
privacy's erasure and roster's merge), each source declared in ``SOURCES``; a token sees the deletions of the
resources it may read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import select

from champions.api.base import (
    ListArgs,
    Schema,
    UtcDateTime,
    current_token,
    page,
    page_schema,
    resource_blueprint,
)
from champions.core.models import AuditEvent
from champions.extensions import db
from champions.profiles.models import Champion

blp = resource_blueprint("deletions", "Records erased or merged away since a time: ids and kind, no personal data.")


@dataclass(frozen=True)
class Source:
    """An audit action that removes a record of ``resource`` from the API, as ``kind``."""

    action: str
    resource: str
    kind: str
    # Where the event names the record that left and the one it was merged into: "target", or a key of its details.
    removed: str = "target"
    kept: str | None = None


SOURCES = (
    Source("person.erased", "champions", "erased"),  # target: the User; the champion is found by user_id
    Source("champion.merged_away", "champions", "merged", kept="kept"),  # target: the merged-away Champion
    Source("organisation.merged", "organisations", "merged", removed="merged_id", kept="target"),  # target: the kept
)


class DeletionSchema(Schema):
    resource = ma.fields.String(required=True)
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["erased", "merged"]})
    merged_into_id = ma.fields.Integer(required=True, allow_none=True)
    at = UtcDateTime(required=True)


@blp.route("", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(DeletionSchema, "DeletionPage"))
def list_deletions(args: dict[str, Any]):
    """Erasures and merges, oldest first; ``updated_since`` gives those from that time."""
    readable = set(current_token().scopes)
    sources = [source for source in SOURCES if source.resource in readable]
    query = select(AuditEvent).where(AuditEvent.action.in_([s.action for s in sources]))
    by_action = {s.action: s for s in sources}
    return page(query, args, AuditEvent.at, AuditEvent.id, lambda events: _deletions(events, by_action))


def _deletions(events: list[AuditEvent], sources: dict[str, Source]) -> list[dict[str, Any]]:
    erased_users = [
        int(e.target_id or 0) for e in events if e.action == "person.erased" and (e.target_id or "").isdigit()
    ]
    rows = db.session.execute(select(Champion.user_id, Champion.id).where(Champion.user_id.in_(erased_users))).all()
    champion_of = {user_id: champion_id for user_id, champion_id in rows}
    items = []
    for event in events:
        source = sources[event.action]
        if event.action == "person.erased":
            record_id, into = champion_of.get(int(event.target_id or 0)), None
        else:
            record_id, into = _named(event, source.removed), _named(event, source.kept)
        if record_id:
            items.append(
                {
                    "resource": source.resource,
                    "id": record_id,
                    "kind": source.kind,
                    "merged_into_id": into,
                    "at": event.at,
                }
            )
    return items


def _named(event: AuditEvent, where: str | None) -> int | None:
    """The id an event names ``where``: its target, or one of its details."""
    value = event.target_id if where == "target" else (event.details or {}).get(where) if where else None
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None
