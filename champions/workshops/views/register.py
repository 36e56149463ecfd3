"""Staff: the workshop register (list, CSV, add, edit, cancel) and one workshop's page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core.db import as_utc, now_utc
from champions.core.downloads import csv_response
from champions.core.forms import db_id, search_text
from champions.core.pagination import keyset_page
from champions.core.permissions import Role
from champions.core.places import borough_choices
from champions.core.templating import UK
from champions.extensions import db
from champions.organisations.models import Organisation, OrganisationContact
from champions.profiles.models import Champion
from champions.workshops import bp
from champions.workshops.forms import (
    CancelWorkshopForm,
    ChampionAttendanceForm,
    ContactAttendanceForm,
    HeadcountForm,
    WorkshopForm,
    local_input,
    parse_local,
)
from champions.workshops.models import OUTPUT_FIELDS, WORKSHOP_TYPE_LABELS, Workshop, WorkshopSignup
from champions.workshops.services import (
    WorkshopProblem,
    attendance_summary,
    cancel_workshop,
    find_signups,
    save_workshop,
    search_key,
)


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

_EXPORT_HEADER = [
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


def _export_row(w: Workshop) -> list:
    s = attendance_summary(w)
    return [
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


@bp.get("/staff/workshops/export.csv")
def workshop_export():
    query, _ = _filtered()
    workshops = db.session.scalars(query.options(*_WITH_ATTENDANCE).order_by(Workshop.starts_at))
    return csv_response("workshops.csv", _EXPORT_HEADER, [_export_row(w) for w in workshops])


def workshop_choices(form: WorkshopForm) -> None:
    """The form's choices: boroughs, organisations on the register, and who may facilitate (staff, leaders)."""
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


def workshop_fields(form: WorkshopForm) -> dict:
    """What ``save_workshop`` takes from a valid form (less the facilitators)."""
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


def workshop_form_data(workshop: Workshop) -> dict:
    """The form's values for the workshop as it is."""
    return {
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


@bp.route("/staff/workshops/new", methods=["GET", "POST"])
def workshop_new():
    form = WorkshopForm()
    workshop_choices(form)
    if request.method == "GET":
        form.capacity.data = 20
    if form.validate_on_submit():
        facilitator_ids = [int(i) for i in form.facilitators.data]
        workshop = save_workshop(Workshop(), facilitator_ids=facilitator_ids, **workshop_fields(form))
        db.session.commit()
        flash(f"{workshop.title} was added.", "success")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))
    return render_template("workshops/form.html", form=form, workshop=None), 400 if form.errors else 200


@bp.route("/staff/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
def workshop_edit(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = WorkshopForm()
    workshop_choices(form)
    if request.method == "GET":
        form.process(data=workshop_form_data(workshop))
    if form.validate_on_submit():
        try:
            save_workshop(workshop, facilitator_ids=[int(i) for i in form.facilitators.data], **workshop_fields(form))
        except WorkshopProblem as problem:
            db.session.rollback()
            form[problem.field or "starts_at"].errors.append(str(problem))
            workshop = db.get_or_404(Workshop, workshop_id)
        else:
            db.session.commit()
            flash("The workshop was saved.", "success")
            return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))
    return render_template(
        "workshops/form.html", form=form, workshop=workshop, summary=attendance_summary(workshop)
    ), 400 if form.errors else 200


@bp.post("/staff/workshops/<int:workshop_id>/cancel")
def workshop_cancel(workshop_id: int):
    workshop = db.first_or_404(select(Workshop).where(Workshop.id == workshop_id).options(*_DETAIL_LISTS))
    if workshop.cancelled_at is not None:
        flash("The workshop was already cancelled.", "info")
        return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))
    form = CancelWorkshopForm()
    if not form.validate_on_submit():
        return detail_page(workshop, 400, cancel_form=form)
    told = cancel_workshop(workshop, form.reason.data)
    db.session.commit()
    flash(
        "The workshop was cancelled. It no longer takes sign-ups, sends reminders or counts as held; "
        f"{told} {'person' if told == 1 else 'people'} signed up will be emailed, and calendars show it cancelled.",
        "success",
    )
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop.id))


# ---- One workshop's page: its details, attendance and outputs -----------------------------------


def contact_choices(form: ContactAttendanceForm, workshop: Workshop) -> None:
    """Organisation contacts not yet recorded as attending this workshop."""
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


def detail_page(workshop: Workshop, status: int = 200, **forms):
    """The page, with any of its forms that was just refused (``champion_form`` …) or a ``problem`` to show.
    ``?q=`` finds people signed up by name, email or postcode (the check-in at the door, without JavaScript)."""
    contact_form = forms.get("contact_form") or ContactAttendanceForm(formdata=None)
    contact_choices(contact_form, workshop)
    typed = search_text(request.args.get("q"))
    return render_template(
        "workshops/detail.html",
        workshop=workshop,
        summary=attendance_summary(workshop),
        champion_form=forms.get("champion_form") or ChampionAttendanceForm(formdata=None),
        contact_form=contact_form,
        headcount_form=forms.get("headcount_form") or HeadcountForm(formdata=None, obj=workshop),
        cancel_form=forms.get("cancel_form") or CancelWorkshopForm(formdata=None),
        outputs=OUTPUT_FIELDS,
        problem=forms.get("problem"),
        typed=typed,
        found=find_signups(workshop.signups, typed),
        search_key=search_key,
    ), status


# Everything the detail page lists, loaded with the workshop rather than a query per row.
_DETAIL_LISTS = (
    *_WITH_ATTENDANCE,
    selectinload(Workshop.facilitators).selectinload(User.champion),
    selectinload(Workshop.signups).selectinload(WorkshopSignup.champion).selectinload(Champion.user),
    selectinload(Workshop.contacts).selectinload(OrganisationContact.organisation),
)


@bp.get("/staff/workshops/<int:workshop_id>")
def workshop_detail(workshop_id: int):
    workshop = db.first_or_404(select(Workshop).where(Workshop.id == workshop_id).options(*_DETAIL_LISTS))
    return detail_page(workshop)
