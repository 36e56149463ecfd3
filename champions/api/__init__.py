"""The JSON API under /api/v1, its OpenAPI 3.1 document (/api/v1/openapi.json, made by flask-smorest from the
code) and reference page (/api/v1/docs), and the pages where people make personal API tokens (/account/api-tokens).

How a request is answered
    ``base.authenticate`` runs before the access table: under /api/ the session cookie counts for nothing (so no
    CSRF), the ``Authorization: Bearer chp_…`` token's holder becomes ``current_user``, the token's scope for the
    resource is checked (GET needs read, anything else write), its use is counted against
    ``API_REQUESTS_PER_TOKEN_RATE`` and noted (last_used_at and one audit event a minute). Then
    ``core.permissions.enforce_access`` applies the same table as the pages (``feature.py``). Every error is an
    RFC 9457 problem document (core/errors.py ``problem``), field messages in ``errors: [{field, detail}]``.

How to add a resource (say ``workshops``)
    1. ``resources/workshops.py``: ``blp = resource_blueprint("workshops", "…")`` (blueprint ``api_workshops``,
       path ``/api/v1/workshops``; the token scope is ``workshops``). One function per operation, each with its
       own ``@blp.route(path, methods=[ONE])`` so each has its own access rule; ``@blp.arguments(Schema)`` for
       bodies and ``location="query"`` for filters, ``@blp.response(status, Schema)``, ``@blp.alt_response(404,
       schema="Problem")`` for each other answer it gives. Schemas derive from ``base.Schema`` (unknown fields
       refused). Lists take ``base.ListArgs`` (cursor, limit, updated_since) and answer
       ``page_schema(ItemSchema, "WorkshopPage")`` through ``base.page`` (needs an ``updated_at`` column).
       Validate bodies with the page's own WTForms form (``form_from_json`` + ``validated``) and call the page's
       service. A POST that makes a record is ``@idempotent`` (inside ``@blp.response``), returns ``(record, 201,
       {"Location": url_for(its GET)})`` and does not commit; other writes commit once. Raise ``ApiError(status,
       detail, errors=[...])`` for a problem.
    2. ``resources/__init__.py``: add the module's ``blp`` to ``BLUEPRINTS`` and a ``Resource`` to ``RESOURCES``.
    3. ``feature.py``: an access rule for every endpoint (``api_workshops.list_workshops``: STAFF, …).
    4. Its ``Resource`` names its table: whatever removes a record writes a tombstone (core/tombstones.py), which
       ``/api/v1/deletions`` reports as the resource's.
    5. Tests in tests/api/; tests/api/test_schemathesis.py then walks the new operations too.
"""

import logging

from flask import Blueprint

bp = Blueprint("api", __name__, template_folder="templates")
log = logging.getLogger(__name__)
