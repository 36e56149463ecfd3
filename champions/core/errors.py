"""Friendly error pages: no stack traces to users; under /api/ (and for JSON clients) an RFC 9457 problem document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect

from champions.core import log
from champions.extensions import db

V = TypeVar("V", bound=Callable[..., Any])

MESSAGES = {
    400: ("There is a problem with your request", "Go back, check what you entered and try again."),
    403: ("You do not have access to this page", "If you think you should, ask the programme team."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you copied all of it.",
    ),
    405: ("That action is not available here", "Go back and try again."),
    409: ("That cannot be done", "Go back and check the record you were changing."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    # Throttled requests get their own page (core/throttle.py); this covers any other 429.
    429: ("This is paused for a few minutes", "We have had a lot of requests like this one. Try again shortly."),
    500: ("Sorry, there is a problem with the service", "Try again later. What you entered has not been saved."),
}


class Refused(Exception):
    """A service refuses an action for a reason the user can act on; every route shows the message (409)."""


API_TITLES = {
    400: "The request could not be read",
    401: "A valid API token is needed",
    403: "This token may not do that",
    404: "Not found",
    405: "That method is not allowed here",
    409: "That conflicts with the record as it is",
    413: "The request is too large",
    415: "Send JSON (Content-Type: application/json)",
    422: "Some values are not valid",
    429: "Too many requests",
    500: "Sorry, there is a problem with the service",
}


def problem(
    status: int, detail: str | None = None, *, errors: list[dict[str, str]] | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem document: ``about:blank`` type with the status's title, a detail a person can act on,
    and ``errors`` (``[{"field": ..., "detail": ...}]``), the field-level messages a form would show by each field."""
    body: dict[str, Any] = {"type": "about:blank", "title": API_TITLES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs/marshmallow's nested ``{"json": {"email": ["..."]}}`` as a flat list of ``{field, detail}``."""
    if isinstance(messages, dict):
        found: list[dict[str, str]] = []
        for key, value in messages.items():
            name = str(key) if key not in ("json", "query", "querystring", "path", "headers") else ""
            found += field_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return found
    if isinstance(messages, list | tuple):
        return [item for message in messages for item in field_errors(message, prefix)]
    return [{"field": prefix or "body", "detail": str(messages)}]


def upload_limit(limit: int) -> Callable[[V], V]:
    """Hold a view's whole request to ``limit`` bytes rather than the app's MAX_CONTENT_LENGTH: a larger body is
    refused before it is read, and the error page names this limit. Applied by ``apply_upload_limit``."""

    def mark(view: V) -> V:
        view.max_upload_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


def apply_upload_limit() -> None:
    """before_request, registered ahead of CSRF protection (which reads the form, and so the body, first)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if limit := getattr(view, "max_upload_bytes", None):
        request.max_content_length = limit


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):.3g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:.3g} KB"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, detail: str | None = None, error: Exception | None = None):
    title, advice = MESSAGES.get(code, MESSAGES[500])
    if is_api_request():
        data = getattr(error, "data", None) or {}
        messages = data.get("errors") or data.get("messages")
        return problem(code, detail or data.get("message"), errors=field_errors(messages) if messages else None)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, status=code), code
    return render_template("errors/error.html", code=code, title=title, advice=detail or advice), code


def _route_for(method: str) -> bool:
    """Whether some route takes this request's path with ``method``. Werkzeug answers 405 when one route's path
    matched before its id was refused (``/x/<int:id>`` with an id past ``MAX_INT``) and another route of the same
    pattern takes only other methods, though no route takes that id at all."""
    try:
        current_app.url_map.bind_to_environ(request.environ).match(method=method)
    except (NotFound, MethodNotAllowed):  # the same mismatch again: no route takes it with that method either
        return False
    except RequestRedirect:
        return True
    return True


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(
            400, "The form had expired or was sent from somewhere else. Go back, reload the page and try again."
        )

    @app.errorhandler(Refused)
    def _refused(error: Refused):
        db.session.rollback()
        return _render(409, str(error))

    @app.errorhandler(405)
    def _not_allowed(error: HTTPException):
        methods = [m for m in getattr(error, "valid_methods", None) or [] if m not in ("HEAD", "OPTIONS")]
        if methods and not any(_route_for(method) for method in methods):
            return _render(404)  # an id too long for its column matched no route by any method: not found
        response = _render(405, error=error)
        if is_api_request() and (allowed := getattr(error, "valid_methods", None)):
            response.headers["Allow"] = ", ".join(allowed)  # RFC 9110: a 405 says what is allowed
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge):
        limit = request.max_content_length  # the app's MAX_CONTENT_LENGTH unless a view set its own
        if not limit:
            return _render(413)
        if is_api_request():
            return _render(413, f"The request body is too large: the limit is {_size(limit)}.")
        return _render(413, f"The file is too big: the limit is {_size(limit)}. Choose a smaller file and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return _render(error.code or 500, error=error)

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError):
        log.error("unhandled error on %s", request.path, exc_info=error.original_exception)
        db.session.rollback()
        return _render(500)
