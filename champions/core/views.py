"""Public pages, health checks, front-end assets and the staff email outbox."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select, text

from champions.core import bp
from champions.core.forms import db_id, search_text
from champions.core.models import OutboxMessage
from champions.core.pagination import keyset_page
from champions.extensions import db

NHSUK_DIST = "nhsuk-frontend/dist/nhsuk"
ASSET_ROOTS = {"nhsuk": NHSUK_DIST, "chartjs": "chart.js/dist"}


@bp.get("/assets/<package>/<path:filename>")
def assets(package: str, filename: str):
    root = ASSET_ROOTS.get(package)
    if root is None:
        abort(404)
    return send_from_directory(current_app.config["NODE_MODULES"] / root, filename, max_age=86400)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    return render_template("core/index.html")


@bp.get("/privacy")
def privacy():
    from champions.privacy.services import PRIVACY_NOTICE_VERSION

    return render_template("core/privacy.html", version=PRIVACY_NOTICE_VERSION)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _broker_reachable() -> bool:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any failure to connect means "not ready"
        return False


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:
        db.session.rollback()
        database = False
    broker = _broker_reachable()
    ok = database and broker
    body = {"status": "ok" if ok else "unavailable", "database": database, "broker": broker}
    return jsonify(body), 200 if ok else 503


@bp.get("/staff/outbox")
def outbox():
    query = select(OutboxMessage)
    if to := search_text(request.args.get("to")).lower():
        query = query.where(OutboxMessage.to_address.contains(to))
    page = keyset_page(query, OutboxMessage.id, request.args.get("before", type=db_id))
    return render_template("core/outbox.html", page=page, to=to)


@bp.get("/staff/outbox/<int:message_id>")
def outbox_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("core/outbox_message.html", message=message)
