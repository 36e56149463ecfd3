"""Personal API tokens: made in the browser, shown once, kept as a SHA-256 hash, found by a prefix, scoped per
resource, with an expiry; revocable; each use counted against a rate and its last use noted.

A token looks like ``chp_<8 characters>_<43 characters>``: ``chp_`` says what it is (secret scanners can look
for it), the 8 characters are its ``prefix`` (unique, stored in the clear to find the row) and the rest is 256
random bits. Only ``sha256(whole token)`` is stored: with that much randomness a slow hash adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from champions.accounts.models import User
from champions.api.models import ApiToken
from champions.core import audit
from champions.core.clock import now_utc
from champions.core.db import as_utc
from champions.core.errors import Refused
from champions.core.permissions import Role, Rule, access_rules
from champions.core.throttle import Throttle
from champions.extensions import db

TOKEN_START = "chp_"
READ, WRITE = "read", "write"
MAX_DAYS = 366
#: A token's use is noted (last_used_at, and one ``api.token_used`` audit event) at most once in this time.
USE_NOTED_EVERY = timedelta(minutes=1)

REQUESTS_BY_TOKEN = Throttle(
    "api-token",
    "API_REQUESTS_PER_TOKEN_RATE",
    "This token has made too many requests",
    "Wait a little and try again, or spread the requests out.",
)


@dataclass(frozen=True)
class Resource:
    """A resource of the API, as a token's scope names it: ``name`` is the first part of its blueprint's name
    (``api_<name>``) and of its path (``/api/v1/<name>``)."""

    name: str
    title: str
    # The table whose records the resource's items are: its tombstones are the resource's deletions (none: no
    # deletions to report).
    table: str | None = None


#: Every resource a token can be scoped to; resources/__init__.py adds each one's.
RESOURCES: dict[str, Resource] = {}


def endpoint_resource(endpoint: str | None) -> str | None:
    """``api_champions.champion_list`` → ``champions``."""
    blueprint = (endpoint or "").partition(".")[0]
    return blueprint.removeprefix("api_") if blueprint.startswith("api_") else None


def resources_for(role: str) -> dict[str, set[str]]:
    """Which scopes ``role`` may put in a token, per resource: ``read`` where the access table lets the role use a
    GET of that resource, ``write`` where it lets it use any other method too. The access table decides, so a
    token can never reach further than its holder's pages do."""
    from flask import current_app  # the app's url_map says which methods each endpoint answers

    allowed: dict[str, set[str]] = {}
    rules: dict[str, Rule] = access_rules()
    for url_rule in current_app.url_map.iter_rules():
        resource = endpoint_resource(url_rule.endpoint)
        rule = rules.get(url_rule.endpoint)
        if resource is None or resource not in RESOURCES or rule is None or isinstance(rule, str):
            continue
        if Role(role) in rule:
            methods = (url_rule.methods or set()) - {"HEAD", "OPTIONS"}
            allowed.setdefault(resource, set()).update({READ} if methods <= {"GET"} else {READ, WRITE})
    return allowed


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str, scopes: dict[str, str], expires_at: datetime) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret (to show once). Scopes beyond what the user's role may hold are
    refused, as is an expiry in the past or more than a year away. The caller commits."""
    offered = resources_for(user.role)
    for resource, level in scopes.items():
        if level not in offered.get(resource, set()):
            raise Refused(f"Your role cannot give a token {level} access to {resource}.")
    if not scopes:
        raise Refused("Choose at least one thing the token may read or change.")
    if not now_utc() < as_utc(expires_at) <= now_utc() + timedelta(days=MAX_DAYS):
        raise Refused(f"A token must expire within {MAX_DAYS} days from now.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user_id=user.id, name=name, prefix=prefix, secret_hash=_digest(secret), scopes=scopes, expires_at=expires_at
    )
    db.session.add(token)
    db.session.flush()
    audit.record("api.token_created", token, actor_id=user.id, scopes=scopes, expires_at=expires_at.isoformat())
    return token, secret


def find_token(secret: str) -> ApiToken | None:
    """The live token whose secret this is: not revoked, not expired, its holder active and not erased."""
    start, _, rest = secret.partition(TOKEN_START)
    prefix = rest.partition("_")[0]
    if start or len(prefix) != 8 or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    if token.revoked_at is not None or as_utc(token.expires_at) <= now_utc():
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active or user.erased_at is not None:
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Note that ``token`` was used: its last-used time and an ``api.token_used`` audit event, at most once a
    minute (one conditional update, so parallel requests note it once). Writes are audited by what they do."""
    now = now_utc()
    noted = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .where((ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= now - USE_NOTED_EVERY))
        .values(last_used_at=now),
        execution_options={"synchronize_session": False},
    )
    if getattr(noted, "rowcount", 0):
        audit.record("api.token_used", token, actor_id=token.user_id)


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens (another's is not found); the caller commits."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise LookupError(token_id)
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        audit.record("api.token_revoked", token, actor_id=user.id)
    return token


def allows(token: ApiToken, resource: str | None, method: str) -> bool:
    """Whether the token's scopes let it use ``method`` on ``resource`` (write includes read)."""
    if resource not in RESOURCES:
        return True  # not a resource (the deletions feed reports only the resources the token may read)
    level = token.scopes.get(resource)
    return level == WRITE or (level == READ and method in ("GET", "HEAD"))
