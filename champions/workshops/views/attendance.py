"""Staff: who came to a workshop. Champions' places and check-in, organisation contacts, the head-count."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from champions.extensions import db
from champions.organisations.models import OrganisationContact
from champions.workshops import bp
from champions.workshops.forms import ChampionAttendanceForm, ContactAttendanceForm, HeadcountForm
from champions.workshops.models import Workshop, WorkshopSignup
from champions.workshops.services import (
    WorkshopProblem,
    add_attendee,
    cancel_for_champion,
    champion_by_email,
    check_in,
    record_contact_attendance,
    remove_contact_attendance,
    save_headcount,
)
from champions.workshops.views.register import contact_choices, detail_page


def _attendance(workshop_id: int):
    return redirect(url_for("workshops.workshop_detail", workshop_id=workshop_id) + "#attendance")


def _signup(workshop_id: int, signup_id: int) -> WorkshopSignup:
    signup = db.get_or_404(WorkshopSignup, signup_id)
    if signup.workshop_id != workshop_id:
        abort(404)
    return signup


@bp.post("/staff/workshops/<int:workshop_id>/champions")
def attendance_champion(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = ChampionAttendanceForm()
    if not form.validate_on_submit():
        return detail_page(workshop, 400, champion_form=form)
    champion = champion_by_email(form.email.data)
    if champion is None:
        form.email.errors.append("No champion has that email address")
        return detail_page(workshop, 400, champion_form=form)
    try:
        add_attendee(workshop, champion, override_capacity=form.override.data, recruited=form.recruited.data)
    except WorkshopProblem as exc:
        db.session.rollback()
        form.override.errors.append(str(exc))
        return detail_page(db.get_or_404(Workshop, workshop_id), 400, champion_form=form)
    db.session.commit()
    flash(f"{champion.full_name} has a place.", "success")
    return _attendance(workshop.id)


@bp.post("/staff/workshops/<int:workshop_id>/signups/<int:signup_id>/check-in")
def check_in_signup(workshop_id: int, signup_id: int):
    signup = _signup(workshop_id, signup_id)
    present = request.form.get("present", "yes") == "yes"
    try:
        check_in(signup, present)
    except WorkshopProblem as exc:
        db.session.rollback()
        return detail_page(db.get_or_404(Workshop, workshop_id), 400, problem=str(exc))
    db.session.commit()
    name = signup.champion.full_name
    flash(f"{name} is checked in." if present else f"{name}'s check-in was undone.", "success")
    return _attendance(workshop_id)


@bp.post("/staff/workshops/<int:workshop_id>/signups/<int:signup_id>/cancel")
def cancel_signup(workshop_id: int, signup_id: int):
    signup = _signup(workshop_id, signup_id)
    try:
        moved = cancel_for_champion(signup)
    except WorkshopProblem as exc:
        db.session.rollback()
        return detail_page(db.get_or_404(Workshop, workshop_id), 400, problem=str(exc))
    db.session.commit()
    flash(
        f"{signup.champion.full_name}'s place was cancelled."
        + (f" {moved.champion.full_name} moved up from the waiting list." if moved else ""),
        "success",
    )
    return _attendance(workshop_id)


@bp.post("/staff/workshops/<int:workshop_id>/contacts")
def attendance_contact(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = ContactAttendanceForm()
    contact_choices(form, workshop)
    if not form.validate_on_submit():
        return detail_page(workshop, 400, contact_form=form)
    contact = db.get_or_404(OrganisationContact, int(form.contact.data))
    record_contact_attendance(workshop, contact)
    db.session.commit()
    flash(f"{contact.name} is recorded as attending.", "success")
    return _attendance(workshop.id)


@bp.post("/staff/workshops/<int:workshop_id>/contacts/<int:contact_id>/remove")
def attendance_contact_remove(workshop_id: int, contact_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    contact = db.get_or_404(OrganisationContact, contact_id)
    remove_contact_attendance(workshop, contact)
    db.session.commit()
    flash(f"{contact.name} is no longer recorded as attending.", "success")
    return _attendance(workshop.id)


@bp.post("/staff/workshops/<int:workshop_id>/headcount")
def headcount(workshop_id: int):
    workshop = db.get_or_404(Workshop, workshop_id)
    form = HeadcountForm()
    if not form.validate_on_submit():
        return detail_page(workshop, 400, headcount_form=form)
    save_headcount(workshop, form.unregistered_count.data)
    db.session.commit()
    flash("The head-count was saved.", "success")
    return _attendance(workshop.id)
