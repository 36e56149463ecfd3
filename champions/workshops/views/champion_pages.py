"""Champions: upcoming workshops in their borough, signing up and cancelling, and the calendars (one
workshop's .ics, the feed, and the feed's private link for calendar apps)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from champions.accounts.models import User
from champions.core.email import external_url
from champions.core.permissions import Role
from champions.extensions import db
from champions.profiles.models import Champion
from champions.workshops import bp, ics
from champions.workshops.models import SignupStatus, Workshop, WorkshopSignup
from champions.workshops.services import (
    WorkshopProblem,
    cancel,
    champion_may_see,
    in_calendar,
    is_upcoming,
    places_left,
    places_left_in,
    sign_up,
    signup_for,
    upcoming_in_borough,
    waiting_position,
)


def _champion() -> Champion:
    champion = current_user.champion
    if champion is None:
        abort(403)
    return champion


@bp.get("/workshops")
def champion_workshops():
    champion = _champion()
    workshops = upcoming_in_borough(champion.borough_code)
    mine = {
        s.workshop_id: s
        for s in db.session.scalars(
            select(WorkshopSignup).where(
                WorkshopSignup.champion_id == champion.id, WorkshopSignup.status != SignupStatus.CANCELLED.value
            )
        )
    }
    return render_template(
        "workshops/champion_list.html",
        subscribe_url=external_url("workshops.calendar_subscription", token=feed_token(current_user)),
        champion=champion,
        workshops=workshops,
        mine=mine,
        places=places_left_in(workshops),
    )


def _visible_to_champion(workshop_id: int, champion: Champion) -> Workshop:
    workshop = db.get_or_404(Workshop, workshop_id)
    if not champion_may_see(workshop, champion):
        abort(404)
    return workshop


@bp.get("/workshops/<int:workshop_id>")
def champion_workshop(workshop_id: int):
    champion = _champion()
    workshop = _visible_to_champion(workshop_id, champion)
    signup = signup_for(workshop.id, champion.id)
    return render_template(
        "workshops/champion_detail.html",
        workshop=workshop,
        signup=signup,
        position=waiting_position(signup) if signup else None,
        places=places_left(workshop),
        upcoming=is_upcoming(workshop),
    )


@bp.post("/workshops/<int:workshop_id>/sign-up")
def champion_sign_up(workshop_id: int):
    champion = _champion()
    _visible_to_champion(workshop_id, champion)
    try:
        signup = sign_up(workshop_id, champion.id)
    except WorkshopProblem as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("workshops.champion_workshop", workshop_id=workshop_id))
    db.session.commit()
    if signup.status == SignupStatus.BOOKED.value:
        flash("You have a place. We will email you a reminder the day before.", "success")
    else:
        flash("The workshop is full, so you are on the waiting list. We will give you a place if one comes up.", "info")
    return redirect(url_for("workshops.champion_workshop", workshop_id=workshop_id))


@bp.post("/workshops/<int:workshop_id>/cancel")
def champion_cancel(workshop_id: int):
    champion = _champion()
    _visible_to_champion(workshop_id, champion)
    try:
        cancel(workshop_id, champion.id)
    except WorkshopProblem as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("workshops.champion_workshop", workshop_id=workshop_id))
    db.session.commit()
    flash("Your place was cancelled.", "success")
    return redirect(url_for("workshops.champion_workshop", workshop_id=workshop_id))


# ---- Calendars ----------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(external_url("core.index")).hostname or "champions"


def _ics_response(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _page(workshop_id: int, user: User | None = None) -> str:
    """The event's link: the staff page for staff, the champion's page for a champion."""
    staff = (user or current_user).is_staff
    return external_url(f"workshops.{'workshop_detail' if staff else 'champion_workshop'}", workshop_id=workshop_id)


@bp.get("/workshops/<int:workshop_id>.ics")
def workshop_ics(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    if not current_user.is_staff:
        _visible_to_champion(workshop_id, _champion())
    body = ics.calendar([workshop], host=_host(), name=workshop.title, urls={workshop.id: _page(workshop.id)})
    return _ics_response(body, f"workshop-{workshop.id}.ics")


def _feed(user: User) -> Response:
    """Staff: every workshop from a year ago on. A champion: theirs in any borough and their borough's upcoming
    ones. Cancelled ones stay in, marked cancelled (services.in_calendar)."""
    workshops = in_calendar(None if user.is_staff else user.champion)
    urls = {w.id: _page(w.id, user) for w in workshops}
    body = ics.calendar(workshops, host=_host(), name="Cancer champions workshops", urls=urls, feed=True)
    return _ics_response(body, "workshops.ics")


@bp.get("/workshops/calendar.ics")
def calendar_feed():
    if not current_user.is_staff:
        _champion()
    return _feed(current_user)


def _feed_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="workshop-calendar-feed")


# A link's token is a few dozen characters; anything much longer is not one of ours.
FEED_TOKEN_MAX = 200


def feed_token(user: User) -> str:
    # The session version is inside the token: signing out everywhere (a password change) revokes it.
    return _feed_signer().dumps([user.id, user.session_version])


@bp.get("/workshops/feed/<token>.ics")
def calendar_subscription(token: str):
    """The same feed for calendar apps, which cannot sign in: a private link in place of a session."""
    if len(token) > FEED_TOKEN_MAX:
        abort(404)  # longer than any link we make: not worth checking
    try:
        user_id, version = _feed_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if not all(type(n) is int and 0 <= n < 2**63 for n in (user_id, version)):
        abort(404)  # signed by us, but not a link we made
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        abort(404)
    if not user.is_staff and (user.role != Role.CHAMPION.value or user.champion is None):
        abort(404)
    return _feed(user)
