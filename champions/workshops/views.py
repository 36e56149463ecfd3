from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core import audit
from champions.core.db import as_utc, now_utc
from champions.core.downloads import csv_response
from champions.core.email import external_url
from champions.core.forms import db_id, parse_day, search_text
from champions.core.pagination import keyset_page
from champions.core.permissions import Role
from champions.core.places import borough_choices
from champions.core.templating import UK
from champions.extensions import db
from champions.organisations.models import Organisation, OrganisationContact
from champions.profiles.models import Champion
from champions.workshops import bp, ics
from champions.workshops.figures import FIGURE_LABELS, FIGURE_ORDER, engagement_figures
from champions.workshops.forms import (
    ChampionAttendanceForm,
    ContactAttendanceForm,
    HeadcountForm,
    OutputsForm,
    WorkshopForm,
    local_input,
    parse_local,
)
from champions.workshops.models import OUTPUT_FIELDS, WORKSHOP_TYPE_LABELS, SignupStatus, Workshop, WorkshopSignup
from champions.workshops.services import (
    WorkshopProblem,
    attendance_summary,
    cancel,
    cancel_workshop,
    check_in,
    is_upcoming,
    places_left,
    places_left_in,
    record_contact_attendance,
    record_recruit,
    remove_contact_attendance,
    save_outputs,
    save_workshop,
    sign_up,
    signup_for,
    upcoming_in_borough,
    waiting_position,
)

# ---- Staff: the workshop register ------------------------------------------------------------


def _filtered():
    filters = {k: search_text(request.args.get(k)) for k in ("type", "borough", "when")}
    query = select(Workshop)
    if filters["type"]:
        query = query.where(Workshop.type == filters["type"])
    if filters["borough"]:
        query = query.where(Workshop.borough_code == filters["borough"])
    if filters["when"] == "upcoming":
        query = query.where(Workshop.starts_at > now_utc())
    elif filters["when"] == "past":
        query = query.where(Workshop.starts_at <= now_utc())
    return query, filters


@bp.get("/staff/workshops")
def workshop_list():
    query, filters = _filtered()
    before = request.args.get("before", type=db_id)
    page = keyset_page(query.options(selectinload(Workshop.borough)), Workshop.id, before)
    return render_template(
        "workshops/list.html", page=page, filters=filters, types=WORKSHOP_TYPE_LABELS, boroughs=borough_choices()
    )


# What a workshop's row shows (its borough, host and attendance summary), loaded with the workshops.
_WITH_ATTENDANCE = (
    selectinload(Workshop.borough),
    selectinload(Workshop.host_organisation),
    selectinload(Workshop.signups),
    selectinload(Workshop.contacts),
)


@bp.get("/staff/workshops/export.csv")
def workshop_export():
    query, _ = _filtered()
    header = [
        "id",
        "type",
        "title",
        "starts",
        "ends",
        "borough",
        "venue",
        "host",
        "capacity",
        "booked",
        "checked_in",
        "contacts",
        "unregistered",
        "cancelled",
    ]
    rows = []
    for w in db.session.scalars(query.options(*_WITH_ATTENDANCE).order_by(Workshop.starts_at)):
        s = attendance_summary(w)
        rows.append(
            [
                w.id,
                w.type_label,
                w.title,
                as_utc(w.starts_at).astimezone(UK).isoformat(timespec="minutes"),
                as_utc(w.ends_at).astimezone(UK).isoformat(timespec="minutes"),
                w.borough.name,
                w.venue,
                w.host_organisation.name if w.host_organisation else "",
                w.capacity,
                s["booked"],
                s["checked_in"],
                s["contacts"],
                s["unregistered"],
                "yes" if w.cancelled_at else "no",
            ]
        )
    return csv_response("workshops.csv", header, rows)


def _choices(form: WorkshopForm) -> None:
    form.borough.choices = borough_choices("Select a borough")
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.merged_into_id.is_(None)).order_by(Organisation.name)
    )
    form.host_organisation.choices = [("", "None")] + [(str(o.id), o.name) for o in organisations]
    leaders = (
        select(User)
        .outerjoin(Champion, Champion.user_id == User.id)
        .where(User.active, (User.role.in_([Role.STAFF.value, Role.ADMIN.value])) | Champion.is_leader)
        .order_by(User.email)
        .options(selectinload(User.champion))
    )
    form.facilitators.choices = [
        (str(u.id), f"{u.champion.full_name} (leader)" if u.champion else u.email) for u in db.session.scalars(leaders)
    ]


def _fields(form: WorkshopForm) -> dict:
    return {
        "type": form.type.data,
        "title": form.title.data,
        "starts_at": parse_local(form.starts_at.data),
        "ends_at": parse_local(form.ends_at.data),
        "borough_code": form.borough.data,
        "venue": form.venue.data,
        "host_organisation_id": int(form.host_organisation.data) if form.host_organisation.data else None,
        "capacity": form.capacity.data,
        "description": form.description.data or None,
    }


@bp.route("/staff/workshops/new", methods=["GET", "POST"])
def workshop_new():
    form = WorkshopForm()
    _choices(form)
    if request.method == "GET":
        form.capacity.data = 20
    if form.validate_on_submit():
        workshop = save_workshop(Workshop(), facilitator_ids=[int(i) for i in form.facilitators.data], **_fields(form))
        audit.record("workshop.created", workshop)
        db.session.commit()
        flash(f"{workshop.title} was added.", "success")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, workshop=None), 400 if form.errors else 200


@bp.route("/staff/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
def workshop_edit(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = WorkshopForm()
    _choices(form)
    if request.method == "GET":
        form.process(
            data={
                "type": workshop.type,
                "title": workshop.title,
                "starts_at": local_input(as_utc(workshop.starts_at)),
                "ends_at": local_input(as_utc(workshop.ends_at)),
                "borough": workshop.borough_code,
                "venue": workshop.venue,
                "host_organisation": str(workshop.host_organisation_id or ""),
                "facilitators": [str(u.id) for u in workshop.facilitators],
                "capacity": workshop.capacity,
                "description": workshop.description,
            }
        )
    if form.validate_on_submit():
        save_workshop(workshop, facilitator_ids=[int(i) for i in form.facilitators.data], **_fields(form))
        audit.record("workshop.updated", workshop)
        db.session.commit()
        flash("The workshop was saved.", "success")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, workshop=workshop), 400 if form.errors else 200


def _contact_choices(form: ContactAttendanceForm, workshop: Workshop) -> None:
    present = {c.id for c in workshop.contacts}
    contacts = db.session.execute(
        select(OrganisationContact.id, OrganisationContact.name, Organisation.name)
        .join(Organisation)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name, OrganisationContact.name)
    )
    form.contact.choices = [("", "Select a contact")] + [
        (str(cid), f"{name}, {org}") for cid, name, org in contacts if cid not in present
    ]


def _detail(workshop: Workshop, status: int = 200, **forms):
    contact_form = forms.get("contact_form") or ContactAttendanceForm(formdata=None)
    _contact_choices(contact_form, workshop)
    return render_template(
        "workshops/detail.html",
        workshop=workshop,
        summary=attendance_summary(workshop),
        champion_form=forms.get("champion_form") or ChampionAttendanceForm(formdata=None),
        contact_form=contact_form,
        headcount_form=forms.get("headcount_form") or HeadcountForm(formdata=None, obj=workshop),
        outputs=OUTPUT_FIELDS,
        problem=forms.get("problem"),
    ), status


# Everything the detail page lists, loaded with the workshop rather than a query per row.
_DETAIL_LISTS = (
    *_WITH_ATTENDANCE,
    selectinload(Workshop.facilitators).selectinload(User.champion),
    selectinload(Workshop.signups).selectinload(WorkshopSignup.champion),
    selectinload(Workshop.contacts).selectinload(OrganisationContact.organisation),
)


@bp.get("/staff/workshops/<int:workshop_id>")
def workshop_detail(workshop_id: int):
    workshop = db.first_or_404(select(Workshop).where(Workshop.id == workshop_id).options(*_DETAIL_LISTS))
    return _detail(workshop)


@bp.post("/staff/workshops/<int:workshop_id>/champions")
def attendance_champion(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = ChampionAttendanceForm()
    if not form.validate_on_submit():
        return _detail(workshop, 400, champion_form=form)
    from champions.workshops.services import champion_by_email

    champion = champion_by_email(form.email.data)
    if champion is None:
        form.email.errors.append("No champion has that email address")
        return _detail(workshop, 400, champion_form=form)
    try:
        signup = sign_up(workshop.id, champion.id, override_capacity=form.override.data, by_staff=True)
    except WorkshopProblem as exc:
        db.session.rollback()
        form.override.errors.append(str(exc))
        return _detail(db.get_or_404(Workshop, workshop_id), 400, champion_form=form)
    if form.recruited.data:
        record_recruit(workshop, champion)
    audit.record("workshop.champion_added", workshop, champion_id=champion.id, status=signup.status)
    db.session.commit()
    flash(f"{champion.full_name} has a place.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#attendance")


@bp.post("/staff/workshops/<int:workshop_id>/signups/<int:signup_id>/check-in")
def check_in_signup(workshop_id: int, signup_id: int):
    signup = db.get_or_404(WorkshopSignup, signup_id)
    if signup.workshop_id != workshop_id:
        abort(404)
    present = request.form.get("present", "yes") == "yes"
    try:
        check_in(signup, present)
    except WorkshopProblem as exc:
        db.session.rollback()
        return _detail(db.get_or_404(Workshop, workshop_id), 400, problem=str(exc))
    audit.record("workshop.check_in", signup.workshop, champion_id=signup.champion_id, present=present)
    db.session.commit()
    name = signup.champion.full_name
    flash(f"{name} is checked in." if present else f"{name}'s check-in was undone.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop_id) + "#attendance")


@bp.post("/staff/workshops/<int:workshop_id>/signups/<int:signup_id>/cancel")
def cancel_signup(workshop_id: int, signup_id: int):
    signup = db.get_or_404(WorkshopSignup, signup_id)
    if signup.workshop_id != workshop_id:
        abort(404)
    moved = cancel(workshop_id, signup.champion_id)
    audit.record("workshop.signup_cancelled", signup.workshop, champion_id=signup.champion_id)
    db.session.commit()
    flash(
        f"{signup.champion.full_name}'s place was cancelled."
        + (f" {moved.champion.full_name} moved up from the waiting list." if moved else ""),
        "success",
    )
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop_id) + "#attendance")


@bp.post("/staff/workshops/<int:workshop_id>/contacts")
def attendance_contact(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = ContactAttendanceForm()
    _contact_choices(form, workshop)
    if not form.validate_on_submit():
        return _detail(workshop, 400, contact_form=form)
    contact = db.get_or_404(OrganisationContact, int(form.contact.data))
    record_contact_attendance(workshop, contact)
    audit.record("workshop.contact_attended", workshop, contact_id=contact.id)
    db.session.commit()
    flash(f"{contact.name} is recorded as attending.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#attendance")


@bp.post("/staff/workshops/<int:workshop_id>/contacts/<int:contact_id>/remove")
def attendance_contact_remove(workshop_id: int, contact_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    contact = db.get_or_404(OrganisationContact, contact_id)
    remove_contact_attendance(workshop, contact)
    audit.record("workshop.contact_removed", workshop, contact_id=contact.id)
    db.session.commit()
    flash(f"{contact.name} is no longer recorded as attending.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#attendance")


@bp.post("/staff/workshops/<int:workshop_id>/cancel")
def workshop_cancel(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    if workshop.cancelled_at is None:
        cancel_workshop(workshop)
        db.session.commit()
        flash("The workshop was cancelled. It no longer takes sign-ups, sends reminders or counts as held.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))


@bp.post("/staff/workshops/<int:workshop_id>/headcount")
def headcount(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = HeadcountForm()
    if not form.validate_on_submit():
        return _detail(workshop, 400, headcount_form=form)
    workshop.unregistered_count = form.unregistered_count.data
    db.session.commit()
    flash("The head-count was saved.", "success")
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#attendance")


@bp.route("/staff/workshops/<int:workshop_id>/outputs", methods=["GET", "POST"])
def workshop_outputs(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = OutputsForm(obj=workshop if request.method == "GET" else None)
    if form.validate_on_submit():
        save_outputs(workshop, **{name: getattr(form, name).data for name, _ in OUTPUT_FIELDS})
        audit.record("workshop.outputs_saved", workshop)
        db.session.commit()
        flash("The system map and action plan were saved.", "success")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id) + "#outputs")
    return render_template("workshops/outputs.html", form=form, workshop=workshop, outputs=OUTPUT_FIELDS)


@bp.get("/staff/workshops/<int:workshop_id>/report")
def workshop_report(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    return render_template(
        "workshops/report.html", workshop=workshop, summary=attendance_summary(workshop), outputs=OUTPUT_FIELDS
    )


# ---- Staff: engagement figures ------------------------------------------------------------------


def _period() -> tuple[date, date, str | None, str | None]:
    today = now_utc().astimezone(UK).date()
    try:
        end = parse_day(request.args.get("to")) or today
        start = parse_day(request.args.get("from")) or end - timedelta(days=364)
    except ValueError:
        abort(400)
    if start > end:
        start, end = end, start
    kind = request.args.get("type") or None
    if kind and kind not in WORKSHOP_TYPE_LABELS:
        abort(400)
    return start, end, search_text(request.args.get("borough"), 40) or None, kind


@bp.get("/staff/engagement")
def engagement():
    start, end, borough, kind = _period()
    figures = engagement_figures(start, end, borough, workshop_type=kind)
    return render_template(
        "workshops/engagement.html",
        figures=figures,
        order=FIGURE_ORDER,
        labels=FIGURE_LABELS,
        boroughs=borough_choices(),
        borough=borough,
        kind=kind,
        types=WORKSHOP_TYPE_LABELS,
    )


@bp.get("/staff/engagement.csv")
def engagement_export():
    start, end, borough, kind = _period()
    figures = engagement_figures(start, end, borough, workshop_type=kind)
    header = ["borough", "from", "to", *FIGURE_ORDER]
    rows = [
        [row.borough_name, start.isoformat(), end.isoformat(), *(row.figures[k] for k in FIGURE_ORDER)]
        for row in [*figures.rows, figures.total]
    ]
    return csv_response(f"engagement-{start}-to-{end}.csv", header, rows)


# ---- Champions: upcoming workshops, sign-up, cancel --------------------------------------------


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
    if workshop.borough_code != champion.borough_code and signup_for(workshop.id, champion.id) is None:
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
    cancel(workshop_id, champion.id)
    db.session.commit()
    flash("Your place was cancelled.", "success")
    return redirect(url_for("workshops.champion_workshop", workshop_id=workshop_id))


# ---- Calendars ----------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(external_url("core.index")).hostname or "champions"


def _ics_response(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/workshops/<int:workshop_id>.ics")
def workshop_ics(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    if not current_user.is_staff:
        _visible_to_champion(workshop_id, _champion())
    url = external_url("workshops.champion_workshop", workshop_id=workshop.id)
    body = ics.calendar([workshop], host=_host(), name=workshop.title, urls={workshop.id: url})
    return _ics_response(body, f"workshop-{workshop.id}.ics")


def _feed(user: User) -> Response:
    """Upcoming workshops: a champion's borough, or all of them for staff."""
    borough = None if user.is_staff else user.champion.borough_code
    workshops = upcoming_in_borough(borough)
    urls = {w.id: external_url("workshops.champion_workshop", workshop_id=w.id) for w in workshops}
    body = ics.calendar(workshops, host=_host(), name="Cancer champions workshops", urls=urls)
    return _ics_response(body, "workshops.ics")


@bp.get("/workshops/calendar.ics")
def calendar_feed():
    if not current_user.is_staff:
        _champion()
    return _feed(current_user)


def _feed_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="workshop-calendar-feed")


def feed_token(user: User) -> str:
    # The session version is inside the token: signing out everywhere (a password change) revokes it.
    return _feed_signer().dumps([user.id, user.session_version])


@bp.get("/workshops/feed/<token>.ics")
def calendar_subscription(token: str):
    """The same feed for calendar apps, which cannot sign in: a private link in place of a session."""
    try:
        user_id, version = _feed_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        abort(404)
    if not user.is_staff and (user.role != Role.CHAMPION.value or user.champion is None):
        abort(404)
    return _feed(user)
