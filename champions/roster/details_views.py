"""The champion corrects their own details: name, postcode, borough and phone, and the address they sign in with."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from champions.accounts.email_change import (
    TAKEN,
    AddressTaken,
    WrongPassword,
    cancel_email_change,
    link_expired,
    request_email_change,
    resend_email_change,
)
from champions.core.forms import ConfirmForm
from champions.core.places import DISTRICT_BOROUGH, borough_choices
from champions.extensions import db
from champions.profiles.details import change_details
from champions.roster import bp
from champions.roster.forms import DetailsForm, EmailChangeForm

SAVED = {
    "first_name": "first name",
    "last_name": "last name",
    "postcode": "postcode",
    "borough_code": "borough",
    "phone": "phone number",
}


def _details_form() -> DetailsForm:
    champion = current_user.champion
    form = DetailsForm(data=DetailsForm.data_of(champion))
    form.borough.choices = borough_choices("Select a borough")
    return form


@bp.route("/me/details", methods=["GET", "POST"])
def edit_details():
    form = _details_form()
    if form.validate_on_submit():
        changed = change_details(current_user.champion, form.details(), by_user_id=current_user.id)
        db.session.commit()
        if changed:
            flash(f"Your {_listed([SAVED[name] for name in changed])} saved.", "success")
        else:
            flash("Nothing needed changing: your details are as they were.", "info")
        return redirect(url_for("roster.champion_home"))
    page = render_template("roster/details_edit.html", form=form, districts=json.dumps(DISTRICT_BOROUGH))
    return page, 200 if not form.errors else 400


def _listed(names: list[str]) -> str:
    """'first name has been', 'postcode and borough have been', 'name, postcode and phone number have been'."""
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{text} {'has' if len(names) == 1 else 'have'} been"


@bp.route("/me/email", methods=["GET", "POST"])
def change_email():
    form = EmailChangeForm(current_user.email)
    if form.validate_on_submit():
        try:
            change = request_email_change(current_user._get_current_object(), form.new_email.data, form.password.data)
        except WrongPassword:
            form.password.errors.append("Your password is not correct")
        except AddressTaken:
            form.new_email.errors.append(TAKEN)
        else:
            db.session.commit()
            flash(f"We have sent a link to {change.new_email}. Open it to confirm your new address.", "success")
            return redirect(url_for("roster.change_email"))
        db.session.commit()  # the wrong password and the request stay counted
    pending = current_user.pending_email_change
    page = render_template(
        "roster/email_change.html",
        form=form,
        pending=pending,
        expired=pending is not None and link_expired(pending),
        confirm=ConfirmForm(),
    )
    return page, 200 if not form.errors else 400


@bp.post("/me/email/cancel")
def cancel_email():
    if ConfirmForm().validate_on_submit() and cancel_email_change(current_user._get_current_object()):
        db.session.commit()
        flash("The change of email address has been cancelled. You still sign in with your current address.", "success")
    return redirect(url_for("roster.change_email"))


@bp.post("/me/email/resend")
def resend_email():
    if (
        ConfirmForm().validate_on_submit()
        and (change := resend_email_change(current_user._get_current_object())) is not None
    ):
        db.session.commit()
        flash(f"We have sent a new link to {change.new_email}. It works for 24 hours.", "success")
    return redirect(url_for("roster.change_email"))
