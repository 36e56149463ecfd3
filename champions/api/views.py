"""The pages of the API: making, listing and revoking one's API tokens, and the API's reference page."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from champions.api import bp
from champions.api.forms import token_form
from champions.api.tokens import create_token, resources_for, revoke, tokens_of
from champions.core.clock import now_utc
from champions.core.errors import Refused
from champions.core.forms import ConfirmForm
from champions.extensions import db


@bp.route("/account/api-tokens", methods=["GET", "POST"])
def tokens():
    offered = resources_for(current_user.role)
    form = token_form(offered)
    refusal = None
    if offered and form.validate_on_submit():
        expires_at = now_utc() + timedelta(days=int(form.lifetime.data))
        try:
            token, secret = create_token(current_user, form.name.data, form.scopes(), expires_at)
        except Refused as refused:
            refusal = str(refused)
        else:
            db.session.commit()
            return render_template("api/token_made.html", token=token, secret=secret)
    return render_template(
        "api/tokens.html",
        form=form,
        offered=offered,
        tokens=tokens_of(current_user),
        now=now_utc(),
        confirm=ConfirmForm(),
        refusal=refusal,
    ), 400 if form.errors or refusal else 200


@bp.post("/account/api-tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = revoke(current_user, token_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(f"The token '{token.name}' has been revoked: it no longer works.", "success")
    return redirect(url_for("api.tokens"))


_CODE_SPAN = re.compile(r"(``?)([^`]+?)\1")


@bp.app_template_filter("code_spans")
def code_spans(text: str | None) -> Markup:
    """The document's descriptions mark names as ``code`` (or `code`): shown as code on the page, not as backticks."""
    return Markup(_CODE_SPAN.sub(r"<code>\2</code>", str(escape(text or ""))))


@bp.get("/api/v1/docs")
def reference():
    spec = current_app.extensions["champions_api"].spec.to_dict()
    return render_template("api/reference.html", spec=spec)
