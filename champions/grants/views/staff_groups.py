"""Staff settle who an application is from: confirm the register's proposed match, choose another organisation, or
add the group to the register; and allow a group more than one application in a round."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application
from champions.grants.services.groups import (
    add_group_to_register,
    allow_applications,
    confirm_organisation,
    proposed_match,
)
from champions.grants.services.lifecycle import GrantError
from champions.grants.views.group_panel import group_forms
from champions.grants.views.staff_applications import _action_forms, _application_page
from champions.organisations.models import Organisation


def _again(application: Application, given: dict, status: int = 400):
    """The application's page again, with the form as it was sent and its messages."""
    return _application_page(application, {**_action_forms(application), **given}, (), status)


@bp.post("/grants/staff/applications/<int:application_id>/group")
def confirm_group(application_id: int):
    application = db.get_or_404(Application, application_id)
    form = forms.GroupMatchForm(prefix="gm")
    proposed = proposed_match(application)
    given = group_forms(application, {"group": form}, proposed)
    if not form.validate_on_submit():
        return _again(application, given)
    if form.choice.data == "new":
        organisation = add_group_to_register(application, current_user.id)
        message = f"{organisation.name} has been added to the register, and this application is from it."
    else:
        chosen = (
            proposed[0]
            if form.choice.data == "match"
            else db.session.get(Organisation, int(form.organisation_id.data))
        )
        if chosen is None:  # it went from the register between the page and the click
            form.choice.errors = ["That organisation is no longer on the register: choose another"]
            return _again(application, given)
        try:
            confirm_organisation(application, chosen, "proposed match" if form.choice.data == "match" else "chosen")
        except GrantError as error:
            form.organisation_id.errors = [error.message]
            return _again(application, given)
        message = f"This application is confirmed as from {chosen.name}."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("grants.application", application_id=application.id, _anchor="group"))


@bp.post("/grants/staff/applications/<int:application_id>/group-limit")
def group_limit(application_id: int):
    application = db.get_or_404(Application, application_id)
    form = forms.GroupLimitForm(prefix="gl")
    given = group_forms(application, {"group_limit": form})
    if not form.validate_on_submit():
        return _again(application, given)
    number = int(form.allowed.data.replace(",", ""))
    allow_applications(application, number)
    db.session.commit()
    flash(
        f"This group may now send {number} applications to this round."
        if number > 1
        else "This group may send one application to this round.",
        "success",
    )
    return redirect(url_for("grants.application", application_id=application.id, _anchor="group"))
