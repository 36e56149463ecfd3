"""Staff correct a champion's details: the page beside the champion's staff record."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from champions.accounts.email_change import TAKEN, AddressTaken
from champions.core.places import DISTRICT_BOROUGH, borough_choices
from champions.extensions import db
from champions.profiles.models import Champion
from champions.profiles.services import MergedRecord
from champions.roster import bp
from champions.roster.corrections import (
    STALE,
    ErasedRecord,
    StaleDetails,
    correct_details,
    correct_note,
    details_version,
    ensure_editable,
    note_version,
)
from champions.roster.details_views import _listed
from champions.roster.models import ChampionNote
from champions.roster.staff_forms import NoteCorrectionForm, StaffDetailsForm
from champions.roster.staff_services import FIELD_NAMES


def _form(champion: Champion) -> StaffDetailsForm:
    data = StaffDetailsForm.data_of(champion) | {
        "topics": [t.code for t in champion.topics],
        "email": champion.user.email,
    }
    if request.method == "GET":  # a POST carries the version its page showed, or none (a conflict)
        data["version"] = details_version(champion)
    form = StaffDetailsForm(formdata=request.form if request.method == "POST" else None, data=data)
    form.borough.choices = borough_choices("Select a borough")
    return form


def _page(champion: Champion, form: StaffDetailsForm, *, refused: str | None = None, stale: bool = False):
    page = render_template(
        "roster/staff/details_edit.html",
        champion=champion,
        form=form,
        refused=refused,
        stale=stale,
        districts=json.dumps(DISTRICT_BOROUGH),
    )
    return page, 400 if form.errors or refused else 200


@bp.route("/staff/champions/<int:champion_id>/details", methods=["GET", "POST"])
def staff_edit_details(champion_id: int):
    champion = db.get_or_404(Champion, champion_id)
    form = _form(champion)
    try:
        ensure_editable(champion)
    except (MergedRecord, ErasedRecord) as closed:
        return _page(champion, form, refused=str(closed))
    if not form.validate_on_submit():
        return _page(champion, form)
    try:
        changed = correct_details(champion, form.correction(), version=form.version.data, by_user_id=current_user.id)
    except StaleDetails:
        db.session.rollback()
        form.version.data = details_version(champion)  # saving again now replaces the other change, knowingly
        return _page(champion, form, refused=STALE, stale=True)
    except AddressTaken:
        db.session.rollback()
        form.email.errors = [*form.email.errors, TAKEN]
        return _page(champion, form)
    except (MergedRecord, ErasedRecord) as closed:
        db.session.rollback()
        return _page(champion, form, refused=str(closed))
    db.session.commit()
    if not changed:
        flash("Nothing needed changing: the details are as they were.", "info")
    else:
        told = " The champion has been emailed at their old and new addresses." if "email" in changed else ""
        flash(f"Their {_listed([FIELD_NAMES[name] for name in changed])} saved.{told}", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id))


def _note_page(
    champion: Champion, note: ChampionNote, form: NoteCorrectionForm, refused: str | None = None, stale: bool = False
):
    page = render_template(
        "roster/staff/note_edit.html",
        champion=champion,
        note=note,
        form=form,
        refused=refused,
        stale=stale,
    )
    return page, 400 if form.errors or refused else 200


@bp.route("/staff/champions/<int:champion_id>/notes/<int:note_id>", methods=["GET", "POST"])
def staff_edit_note(champion_id: int, note_id: int):
    champion = db.get_or_404(Champion, champion_id)
    note = db.get_or_404(ChampionNote, note_id)
    if note.champion_id != champion.id:
        abort(404)
    form = NoteCorrectionForm(
        formdata=request.form if request.method == "POST" else None,
        data={"body": note.body} | ({"version": note_version(note)} if request.method == "GET" else {}),
    )
    try:
        ensure_editable(champion)
    except (MergedRecord, ErasedRecord) as closed:
        return _note_page(champion, note, form, str(closed))
    if not form.validate_on_submit():
        return _note_page(champion, note, form)
    try:
        changed = correct_note(note, form.body.data, version=form.version.data, by_user_id=current_user.id)
    except StaleDetails as stale:
        db.session.rollback()
        form.version.data = note_version(note)  # saving again now replaces the other change, knowingly
        return _note_page(champion, note, form, str(stale), stale=True)
    except (MergedRecord, ErasedRecord) as closed:
        db.session.rollback()
        return _note_page(champion, note, form, str(closed))
    db.session.commit()
    flash("The note has been corrected." if changed else "Nothing needed changing: the note is as it was.", "success")
    return redirect(url_for("roster.staff_champion", champion_id=champion.id) + "#timeline")
