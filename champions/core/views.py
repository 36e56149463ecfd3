"""Public pages, health checks, front-end assets and the staff email outbox."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select, text

from champions.core import bp
from champions.core.forms import db_id, search_text
from champions.core.models import OutboxMessage
from champions.core.notice import NOTICE_VERSIONS, OLDER_VERSIONS, PRIVACY_NOTICE_VERSION
from champions.core.pagination import keyset_page
from champions.extensions import db

# /assets/<package>/ serves a front-end package that bin/setup installs from npm (package.json is the one place its
# version is written): its folder in node_modules, and the folder in that holding the files it ships.
# The NHS.UK stylesheet asks for its icons at /assets/images/ (the search box's clear button, the sortable tables'
# arrows), so that path serves them too.
ASSET_PACKAGES = {
    "nhsuk": ("nhsuk-frontend", "dist/nhsuk"),
    "images": ("nhsuk-frontend", "dist/nhsuk/assets/images"),
    "chartjs": ("chart.js", "dist"),
}


@cache
def installed_version(node_modules: Path, package: str) -> str | None:
    """The version of a front-end package as installed in node_modules, read once per process."""
    try:
        return json.loads((node_modules / ASSET_PACKAGES[package][0] / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@bp.url_defaults
def add_asset_version(endpoint: str, values: dict) -> None:
    """Every asset URL names the installed version (?v=), so a browser fetches an upgraded package at once."""
    if endpoint == "core.assets" and "v" not in values and values.get("package") in ASSET_PACKAGES:
        version = installed_version(current_app.config["NODE_MODULES"], values["package"])
        if version:
            values["v"] = version


@bp.get("/assets/<package>/<path:filename>")
def assets(package: str, filename: str):
    if package not in ASSET_PACKAGES:
        abort(404)
    node_modules = current_app.config["NODE_MODULES"]
    folder, dist = ASSET_PACKAGES[package]
    # Kept a day when the URL names the installed version; otherwise (an import in a static script) checked each time.
    version = installed_version(node_modules, package)
    current = version is not None and request.args.get("v") == version
    return send_from_directory(node_modules / folder / dist, filename, max_age=86400 if current else 0)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    return render_template("core/index.html")


@bp.get("/privacy")
def privacy():
    config = current_app.config
    return render_template(
        "core/privacy.html",
        version=PRIVACY_NOTICE_VERSION,
        versions=NOTICE_VERSIONS,
        session_hours=round(config["PERMANENT_SESSION_LIFETIME"].total_seconds() / 3600),
    )


@bp.get("/privacy/<version>")
def privacy_version(version: str):
    """An earlier version of the notice, as people agreed to it; the current one lives at /privacy."""
    if version == PRIVACY_NOTICE_VERSION:
        return redirect(url_for("core.privacy"))
    notice = OLDER_VERSIONS.get(version)
    if notice is None:
        abort(404)
    return render_template(f"core/notices/{notice.version}.html", notice=notice)


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


def _database_reachable() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to query means "not ready"
        db.session.rollback()
        return False


def _checks() -> dict[str, bool]:
    """What the service needs beyond this process: the database and the task queue's broker."""
    return {"database": _database_reachable(), "broker": _broker_reachable()}


@bp.get("/readyz")
def readyz():
    """For machines (load balancers, monitoring): 503 when a check fails."""
    checks = _checks()
    ok = all(checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", **checks}), 200 if ok else 503


@bp.get("/status")
def status():
    """The same checks as /readyz, in words, for people wondering whether the service is working."""
    return render_template("core/status.html", checks=_checks())


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
