"""What every resource of the API is built from: its blueprint, token authentication before the access table,
cursor pagination with ``updated_since``, and ``Idempotency-Key`` on POST. See the package docstring for how to
add a resource."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy import Select, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from champions.api.models import ApiToken, IdempotentRequest
from champions.api.tokens import REQUESTS_BY_TOKEN, allows, endpoint_resource, find_token, note_use
from champions.core.clock import now_utc
from champions.core.db import as_utc, rowcount
from champions.core.errors import problem
from champions.core.forms import CONTROL, MAX_INT
from champions.core.models import BOROUGHS, TOPICS
from champions.core.permissions import PUBLIC, rule_for
from champions.core.throttle import refuse_if_over
from champions.extensions import csrf, db, login_manager

if TYPE_CHECKING:
    from champions.profiles.models import Champion

PREFIX = "/api/v1"
MAX_BODY = 64 * 1024  # bytes: no resource takes more; larger bodies get a 413 problem
MAX_PAGE = 100
DEFAULT_PAGE = 50
# A list's position: microseconds since 1970 (UTC) of the last record's change, and its id. Bounded so that any
# cursor matching it reads as a date before the year 2286 and an id within a 64-bit integer. Empty: the first page.
_CURSOR = re.compile(r"([0-9]{1,16})\.([0-9]{1,18})")
CURSOR_PATTERN = f"^(?:{_CURSOR.pattern})?$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
IDEMPOTENCY_KEPT_HOURS = 24


class ApiError(HTTPException):
    """A problem document raised from anywhere in an API view: ``ApiError(409, "…", errors=[...])``."""

    def __init__(self, status: int, detail: str | None = None, *, errors: list[dict[str, str]] | None = None):
        super().__init__(detail)
        self.code = status
        self.detail = detail
        self.errors = errors

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return problem(self.code or 500, self.detail, errors=self.errors)


def _problem_of(error: ApiError) -> Response:
    db.session.rollback()  # a refused request changes nothing
    return error.get_response()


class Api(SmorestApi):
    """flask-smorest's Api, minus its own error handler: core/errors.py answers every /api/ error as an RFC 9457
    problem document (its handler would also have answered the HTML pages' errors with JSON)."""

    def _register_error_handlers(self) -> None:
        pass


class _Parser(FlaskParser):
    """webargs' parser, where a body nested too deeply for Python's JSON reader (about a thousand levels, a couple
    of kilobytes) is a 400 problem like any other body that cannot be read, not a crash."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise ApiError(
                400,
                "The JSON body is nested too deeply to read.",
                errors=[{"field": "body", "detail": "Nest the values less deeply"}],
            ) from None


class ApiBlueprint(SmorestBlueprint):
    """flask-smorest's Blueprint, where a bad query parameter (a filter, ``updated_since``, ``limit``) is a 400, as
    a malformed request is; a body whose values fail its checks stays a 422."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        if location == "query":
            kwargs.setdefault("error_status_code", 400)
        return super().arguments(schema, location=location, **kwargs)


def resource_blueprint(name: str, description: str) -> SmorestBlueprint:
    """The blueprint of one resource: named ``api_<name>`` (the token scope is ``<name>``), under
    ``/api/v1/<name>``; CSRF-exempt because the API takes no session cookie, only a token."""
    blueprint = ApiBlueprint(f"api_{name}", __name__, url_prefix=f"{PREFIX}/{name}", description=description)
    csrf.exempt(blueprint)
    return blueprint


# --- Authentication: the token decides who ``current_user`` is, then the access table decides --------------


def authenticate() -> ResponseReturnValue | None:
    """before_request, ahead of the access table (core.permissions.enforce_access): under /api/, the session
    cookie counts for nothing; the ``Authorization: Bearer`` token's holder is the user, within its scopes."""
    if not request.path.startswith("/api/"):
        return None
    request.max_content_length = MAX_BODY
    g._login_user = login_manager.anonymous_user()
    if request.endpoint is None or rule_for(request.endpoint) == PUBLIC:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = find_token(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        response = problem(
            401, "Send a valid API token: 'Authorization: Bearer chp_…'. Tokens are made on your account page."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="champions"'
        return response
    refuse_if_over(REQUESTS_BY_TOKEN.hit(str(token.id)))
    note_use(token)
    db.session.commit()  # the count and the use stand whatever the request then does
    token = db.session.get(ApiToken, token.id)
    g.api_token = token
    g._login_user = token and db.session.get(_user_model(), token.user_id)
    if token is None or not allows(token, endpoint_resource(request.endpoint), request.method):
        return problem(403, "This token's scopes do not cover this. Make a token with the scope it needs.")
    if request.method in ("POST", "PUT", "PATCH") and not request.is_json:
        return problem(415, "Send the body as JSON, with 'Content-Type: application/json'.")
    # Control characters (NUL above all, which PostgreSQL cannot hold) in any query parameter: refused as the
    # forms refuse them, before any filter reaches the database.
    if bad := sorted({n for n, v in request.args.items(multi=True) if CONTROL.search(n) or CONTROL.search(v)}):
        detail = "Remove the control characters (such as NUL) from this parameter"
        return problem(
            400,
            "Remove the control characters (such as NUL) from the query.",
            errors=[{"field": name, "detail": detail} for name in bad],
        )
    return None


def _user_model():
    from champions.accounts.models import User

    return User


def current_token() -> ApiToken:
    return g.api_token


def init_api(app: Flask, blueprints: list[SmorestBlueprint]) -> Api:
    app.config.setdefault("API_TITLE", "Champions API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    # Ahead of core's handler of every HTTPException, which knows nothing of an ApiError's detail and field errors.
    app.register_error_handler(ApiError, _problem_of)
    spec_kwargs = {
        "info": {
            "description": "Champions' JSON API. Every request needs a personal API token "
            "(`Authorization: Bearer chp_…`), made on the account page; errors are RFC 9457 problem documents.",
        },
        "security": [{"token": []}],
    }
    api = Api(app, spec_kwargs=spec_kwargs)
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    api.spec.components.schema("Problem", schema=ProblemSchema)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    _declare_problems(api)
    app.extensions["champions_api"] = api
    return api


#: What any operation may answer besides its own: a problem document each (core/errors.py).
COMMON_PROBLEMS = {
    "400": "The request could not be read (bad JSON, a bad cursor or filter)",
    "401": "No valid API token",
    "403": "The token's scopes or its holder's role do not allow this",
    "404": "Not found",
    "405": "Method not allowed",
    "413": "The body is too large",
    "415": "The body is not JSON",
    "422": "Some values are not valid: errors names each field",
    "429": "Too many requests with this token: wait Retry-After seconds",
    "500": "A fault of the service",
}
#: What the web server in front (gunicorn, config/gunicorn.conf.py) answers itself, before the app sees the request,
#: as a short HTML page: declared too, so that no status a client can meet is missing from the document.
SERVER_ANSWERS = {
    "400": "A request line or header the web server cannot read (answered by the server, as HTML)",
    "414": "The path and query are longer than the web server takes, 4,094 bytes (answered by the server, as HTML)",
}


def _declare_problems(api: Api) -> None:
    """Every operation answers its errors as ``application/problem+json`` (RFC 9457): declared once here for each,
    replacing flask-smorest's JSON error responses, so clients and schemathesis know every status it can give."""
    for operations in api.spec._paths.values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for status, description in COMMON_PROBLEMS.items():
                responses[status] = {
                    "description": description,
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
            for status, description in SERVER_ANSWERS.items():
                answer = responses.setdefault(status, {"description": description, "content": {}})
                answer["content"]["text/html"] = {"schema": {"type": "string"}}
            for status in list(responses):
                if status[0] in "45" and status not in COMMON_PROBLEMS | SERVER_ANSWERS:
                    responses[status] = {
                        "description": responses[status].get("description", "A problem"),
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    }


# --- Schemas -----------------------------------------------------------------------------------------------


class Schema(ma.Schema):
    """The base of every request and response body: unknown fields are refused (a field that tries to set a
    role, stage or owner is a 422, never silently dropped)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class UtcDateTime(ma.fields.DateTime):
    """A time as ISO 8601 in UTC with its zone (``2026-01-31T09:00:00+00:00``): SQLite hands back naive times, and
    a time without a zone is not an RFC 3339 ``date-time``. Every time a resource answers with uses this field."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else as_utc(value).isoformat()


class FieldErrorSchema(Schema):
    field = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem document."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))
    retry_after_minutes = ma.fields.Integer()


class Flag(ma.fields.Boolean):
    """true or false in a body, and nothing else: marshmallow's Boolean would also take "yes", "on", 1 or "1",
    which the document does not allow (a consent must be given as the JSON value true)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):  # not 1 or 0, which equal True and False in Python
            return value
        raise self.make_error("invalid", input=value)


class WholeNumber(ma.fields.Integer):
    """An integer in a body. JSON Schema counts 1925.0 as the integer 1925, so the API takes it as that too (the
    document and the server agree); a fraction, a string of digits or true/false is refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


# Field metadata: the codes a body's borough or topic must be one of (the forms accept only these), for the document.
# What a body's field must be for the page's form to take it, in the document only: the form checks it, so that a
# client gets the form's own message by the field.
FILLED = {"minLength": 1}
AT_LEAST_ONE = {"minItems": 1}
BOROUGH_ENUM = {"enum": [code for code, _, _ in BOROUGHS]}
TOPIC_ENUM = {"enum": [code for code, _ in TOPICS]}


class ListArgs(Schema):
    """The query of every list: ``cursor`` (from the previous page's ``next_cursor``), ``limit``, and
    ``updated_since`` (ISO 8601 with a zone: only records changed at or after it)."""

    cursor = ma.fields.String(
        load_default=None, metadata={"description": "next_cursor of the previous page", "pattern": CURSOR_PATTERN}
    )
    limit = ma.fields.Integer(load_default=DEFAULT_PAGE, validate=ma.validate.Range(1, MAX_PAGE))
    updated_since = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "ISO 8601 date and time with a zone, like 2026-01-31T09:00:00Z"}
    )


def patched(record: Any, shown: type[ma.Schema], changes: type[ma.Schema], data: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body made whole: the record's fields that ``changes`` takes, as ``shown`` (its answer's schema)
    gives them, with the body's over them, so only the fields sent change."""
    return shown(only=tuple(changes().fields)).dump(record) | data


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of ``item``: ``{"items": [...], "next_cursor": "…" or null}``."""
    return type(
        name,
        (Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(required=True, allow_none=True),
        },
    )


# --- Cursor pagination -------------------------------------------------------------------------------------


def _encode(moment: datetime, key: int) -> str:
    return f"{(as_utc(moment) - _EPOCH) // _MICROSECOND}.{key}"


def _decode(cursor: str) -> tuple[datetime, int]:
    """Every cursor the document's ``CURSOR_PATTERN`` allows is one this reads (a position, not necessarily one a
    page ended at): the pattern bounds the time, so it never overflows a date, and the id is held to the largest a
    database integer holds (PostgreSQL's is 32 bits)."""
    found = _CURSOR.fullmatch(cursor)
    if found is None:
        raise ApiError(
            400, "That cursor is not one this API gave.", errors=[{"field": "cursor", "detail": "Not a valid cursor"}]
        )
    # An id past the largest a database integer holds is the same position as that largest one: nothing follows it.
    return _EPOCH + int(found[1]) * _MICROSECOND, min(int(found[2]), MAX_INT)


def page(
    query: Select,
    args: dict[str, Any],
    changed: Any,
    key: Any,
    present: Callable[[list[Any]], list[Any]] | None = None,
) -> dict[str, Any]:
    """One page of ``query`` as a list answers it (``{"items": [...], "next_cursor": ...}``), in the order of
    (``changed``, ``key``), oldest change first, after ``args["cursor"]`` and from ``args["updated_since"]``;
    ``present`` readies the page's records for the item schema. A record changed while a partner pages comes again
    at the end, so a sync that follows ``next_cursor`` to the end misses nothing."""
    if args.get("updated_since") is not None:
        query = query.where(changed >= args["updated_since"])
    if args.get("cursor"):
        moment, last = _decode(args["cursor"])
        query = query.where(or_(changed > moment, and_(changed == moment, key > last)))
    limit = args.get("limit") or DEFAULT_PAGE
    rows = list(db.session.execute(query.add_columns(changed, key).order_by(changed, key).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1][-2], rows[-1][-1]) if more and rows else None
    items = [row[0] for row in rows]
    return {"items": present(items) if present else items, "next_cursor": next_cursor}


def own_champion() -> Champion:
    """The token holder's own champion record, or a 403 problem (no record, or merged into another)."""
    champion = current_user.champion
    if champion is None or champion.merged_into_id is not None:
        raise ApiError(403, "This token's holder has no champion record.")
    return champion


# --- Idempotency-Key ---------------------------------------------------------------------------------------


def idempotent(view: Callable[..., tuple[Any, int, dict[str, str]]]) -> Callable[..., Any]:
    """For a POST that makes a record: a repeat with the same ``Idempotency-Key`` (same token) answers as the first
    did and makes nothing more; the same key with a different body is a 422. The view returns ``(record, 201,
    {"Location": path})`` and commits nothing; this commits, with the key, so the record and its key stand or fall
    together (a parallel repeat meets the unique key and gets a 409)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 255:
            raise ApiError(400, "An Idempotency-Key is 1 to 255 characters.")
        digest = hashlib.sha256(request.get_data()).hexdigest()
        token = current_token()
        if key is not None:
            earlier = db.session.scalar(
                select(IdempotentRequest).where(IdempotentRequest.token_id == token.id, IdempotentRequest.key == key)
            )
            if earlier is not None:
                if earlier.request_hash != digest or earlier.location.split("/")[3] != request.path.split("/")[3]:
                    raise ApiError(422, "This Idempotency-Key was used before with a different request.")
                return _replay(earlier)
        result = view(*args, **kwargs)
        if key is not None:
            db.session.add(
                IdempotentRequest(
                    token_id=token.id, key=key, request_hash=digest, status=result[1], location=result[2]["Location"]
                )
            )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise ApiError(409, "A request with this Idempotency-Key is being handled; try again.") from None
        return result

    return wrapper


def _replay(earlier: IdempotentRequest) -> Response:
    """The first answer again: its status and Location, and the record as it is now (its own GET view's answer)."""
    endpoint, view_args = current_app.url_map.bind("localhost").match(earlier.location, method="GET")
    again = current_app.make_response(current_app.view_functions[endpoint](**view_args))  # type: ignore[arg-type]
    again.status_code = earlier.status
    again.headers["Location"] = earlier.location
    again.headers["Idempotent-Replayed"] = "true"
    return again


def forget_old_idempotency_keys() -> int:
    """Delete keys older than a day (periodic); the caller commits."""
    cutoff = now_utc() - timedelta(hours=IDEMPOTENCY_KEPT_HOURS)
    return rowcount(db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < cutoff)))


# --- The forms' validation, for JSON ------------------------------------------------------------------------


def form_from_json(form_class: type, data: dict[str, Any], names: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """The page's form filled from a JSON body (already shaped by its schema), so the API checks exactly what the
    page checks, with the same messages. ``names`` maps an API field to the form's (``borough_code`` → ``borough``)."""
    from werkzeug.datastructures import MultiDict

    names = names or {}
    pairs: list[tuple[str, str]] = []
    for field, value in data.items():
        name = names.get(field, field)
        if isinstance(value, bool):
            if value:
                pairs.append((name, "y"))
        elif isinstance(value, list | tuple):
            pairs += [(name, str(item)) for item in value]
        elif value is not None:
            pairs.append((name, value.isoformat() if hasattr(value, "isoformat") else str(value)))
    return form_class(formdata=MultiDict(pairs), meta={"csrf": False}, **kwargs)


def validated(form: Any, names: dict[str, str] | None = None) -> Any:
    """``form`` once it validates; otherwise a 422 problem with each field's message, named as the API names it."""
    if form.validate():
        return form
    back = {form_name: api_name for api_name, form_name in (names or {}).items()}
    errors = [
        {"field": back.get(name, name), "detail": str(message)}
        for name, messages in form.errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
    raise ApiError(422, "Some values are not valid: see errors.", errors=errors)
