"""Friendly error pages: no stack traces to users, JSON for JSON clients."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from champions.core import log
from champions.extensions import db

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


def _render(code: int, detail: str | None = None):
    title, advice = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=title, status=code), code
    return render_template("errors/error.html", code=code, title=title, advice=detail or advice), code


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

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge):
        limit = request.max_content_length  # the app's MAX_CONTENT_LENGTH unless a view set its own
        if not limit:
            return _render(413)
        megabytes = f"{limit / (1024 * 1024):.3g}"
        return _render(413, f"The file is too big: the limit is {megabytes} MB. Choose a smaller file and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return _render(error.code or 500)

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError):
        log.error("unhandled error on %s", request.path, exc_info=error.original_exception)
        db.session.rollback()
        return _render(500)
