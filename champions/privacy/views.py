from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from champions.accounts import consent
from champions.accounts.models import User
from champions.accounts.services import check_own_password
from champions.core.clock import today_uk
from champions.core.forms import ConfirmForm
from champions.core.models import Topic
from champions.core.notice import NOTICE_VERSIONS, OLDER_VERSIONS
from champions.extensions import db
from champions.nudges.services import kind_preferences
from champions.privacy import bp, export, services
from champions.privacy.forms import EqualityForm, EraseForm, PreferencesForm
from champions.privacy.models import EqualityAnswers
from champions.profiles.models import Stage


@bp.route("/me/equality", methods=["GET", "POST"])
def equality():
    existing = db.session.scalar(select(EqualityAnswers).where(EqualityAnswers.user_id == current_user.id))
    form = EqualityForm(obj=existing)
    if form.validate_on_submit():
        if form.answered():
            services.save_equality_answers(current_user.id, form.data)
            flash("Thank you. Your answers are kept separately from your profile.", "success")
        db.session.commit()
        return redirect(url_for("roster.champion_home"))
    return render_template("privacy/equality.html", form=form, existing=existing), 200 if not form.errors else 400


@bp.post("/me/equality/delete")
def equality_delete():
    if ConfirmForm().validate_on_submit():
        services.delete_equality_answers(current_user.id)
        db.session.commit()
        flash("Your equality monitoring answers have been deleted.", "success")
    return redirect(url_for("privacy.preferences"))


@bp.get("/me/preferences")
def preferences():
    champion = current_user.champion
    form = PreferencesForm(data={"topics": [t.code for t in champion.topics]})
    return render_template(
        "privacy/preferences.html",
        form=form,
        consents=consent.current_consents(current_user.id),
        confirm=ConfirmForm(),
        email_wording=consent.EMAIL_CONSENT_WORDING,
        nudges=kind_preferences(current_user),
    )


@bp.post("/me/preferences/email/<any(on, off):choice>")
def email_consent(choice: str):
    if ConfirmForm().validate_on_submit():
        consent.set_consent(current_user.id, "email_contact", choice == "on")
        db.session.commit()
        flash("You will get emails from us." if choice == "on" else "We will not email you any more.", "success")
    return redirect(url_for("privacy.preferences"))


@bp.post("/me/preferences/topics")
def topics():

    form = PreferencesForm()
    if form.validate_on_submit():
        champion = current_user.champion
        champion.topics = list(db.session.scalars(select(Topic).where(Topic.code.in_(form.topics.data or []))))
        db.session.commit()
        flash("Your topics have been saved.", "success")
    return redirect(url_for("privacy.preferences"))


def _my_data_page(form: EraseForm) -> str:
    """Your data, with the version of the privacy notice you agreed to (from your recorded consent)."""
    return render_template(
        "privacy/my_data.html",
        form=form,
        withdraw=ConfirmForm(),
        agreed=consent.current_consents(current_user.id).get("privacy_notice"),
        notice=NOTICE_VERSIONS[0],
        older=OLDER_VERSIONS,
    )


@bp.get("/me/data")
def my_data():
    return _my_data_page(EraseForm())


def _download(body: bytes | str, mimetype: str, extension: str) -> Response:
    name = f"my-champions-data-{today_uk().isoformat()}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/me/data/export.json")
def export_json():
    body = export.export_json(current_user._get_current_object())
    db.session.commit()
    return _download(body, "application/json", "json")


@bp.get("/me/data/export.zip")
def export_zip():
    body = export.export_zip(current_user._get_current_object())
    db.session.commit()
    return _download(body, "application/zip", "zip")


@bp.post("/me/erase")
def erase():
    form = EraseForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and check_own_password(user, form.password.data):
        services.erase(user, by_user_id=user.id)
        db.session.commit()
        logout_user()
        return render_template("privacy/erased.html")
    if not form.errors:
        db.session.commit()  # the failure stays counted
        form.password.errors.append("Your password is not correct")
    return _my_data_page(form), 400


@bp.post("/me/withdraw")
def withdraw():
    champion = current_user.champion
    if ConfirmForm().validate_on_submit() and champion.stage != Stage.WITHDRAWN.value:
        services.withdraw(champion)
        db.session.commit()
        flash(
            "You have withdrawn. We will not contact you. You can still sign in, download or erase your data, "
            "and you can come back at any time from your home page.",
            "success",
        )
    return redirect(url_for("roster.champion_home"))


@bp.post("/me/rejoin")
def rejoin():
    champion = current_user.champion
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.rejoin(champion)  # a Refused (erased, merged, not withdrawn) is shown as a page and changes nothing
    db.session.commit()
    emails = (
        "We will email you again as you chose."
        if consent.has_consent(current_user.id, "email_contact")
        else "We still will not email you: you can turn emails back on in your preferences."
    )
    flash(f"Welcome back. You are taking part again, with everything you did before. {emails}", "success")
    return redirect(url_for("roster.champion_home"))


@bp.get("/staff/equality")
def equality_summary():
    total, tables = services.equality_summary()
    db.session.commit()
    return render_template("privacy/equality_summary.html", tables=tables, total=total)


@bp.get("/admin/equality/<int:user_id>")
def equality_person(user_id: int):
    user = db.get_or_404(User, user_id)
    answers = services.equality_answers_seen_by_admin(user)
    if answers is None:
        abort(404)
    db.session.commit()
    return render_template("privacy/equality_person.html", person=user, answers=answers)
