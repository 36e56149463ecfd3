"""``/api/v1/deletions``: records that left the API since a time (erased, merged into another, or deleted), as ids
and kind only, so that a partner's copy can follow. Read from the tombstones every removal writes
(core/tombstones.py: a merge, an erasure, retention, a champion deleting an activity), each resource's by its
table (``Resource.table``); a token sees the deletions of the resources it may read. A record put back (an undone
deletion, under its old id) loses its tombstone and comes again in its own list, changed now."""

from __future__ import annotations

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
from champions.api.tokens import RESOURCES
from champions.core.models import Tombstone
from champions.core.tombstones import KINDS

blp = resource_blueprint(
    "deletions", "Records erased, merged away or deleted since a time: resource, id and kind, no personal data."
)


class DeletionSchema(Schema):
    resource = ma.fields.String(required=True, metadata={"description": "the resource's name, as in its path"})
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(
        required=True,
        metadata={
            "enum": list(KINDS),
            "description": "erased: a person's record removed at their request or by retention; merged: merged into "
            "another record (merged_into_id, for champions and organisations) or a duplicate a merge dropped; "
            "deleted: removed by its owner (a champion's activity)",
        },
    )
    merged_into_id = ma.fields.Integer(required=True, allow_none=True)
    at = UtcDateTime(required=True)


@blp.route("", methods=["GET"])
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(DeletionSchema, "DeletionPage"))
def list_deletions(args: dict[str, Any]):
    """Erasures, merges and deletions, oldest first; ``updated_since`` gives those from that time."""
    readable = set(current_token().scopes)
    resource_of = {r.table: r.name for r in RESOURCES.values() if r.table and r.name in readable}
    query = select(Tombstone).where(Tombstone.table_name.in_(resource_of))
    return page(query, args, Tombstone.at, Tombstone.id, lambda rows: _deletions(rows, resource_of))


def _deletions(rows: list[Tombstone], resource_of: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "resource": resource_of[row.table_name],
            "id": row.record_id,
            "kind": row.kind,
            "merged_into_id": row.merged_into_id,
            "at": row.at,
        }
        for row in rows
    ]
