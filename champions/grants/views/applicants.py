"""An applicant's own pages: their applications, applying and editing a draft, and the end-of-grant report."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.core.places import borough_choices
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, Round, Status
from champions.grants.services.applications import (
    ApplicationData,
    amount_problem,
    save_draft,
    submission_problems,
    submit,
)
from champions.grants.services.groups import GroupDetails, earlier_details
from champions.grants.services.lifecycle import GrantError
from champions.grants.services.reports import ReportData, can_report, report_outcome_kinds, submit_report
from champions.grants.services.rounds import is_open, open_rounds

# Problems that belong to no one field are listed at the top of the form, linked to where they are fixed.
GENERAL_PROBLEMS = {"round": "#title", "budget_lines": "#budget"}


def _own(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.applicant_id != current_user.id:
        abort(404)
    return application


@bp.get("/grants/my")
def my_applications():
    mine = db.session.scalars(
        select(Application)
        .where(Application.applicant_id == current_user.id)
        .options(selectinload(Application.round))
        .order_by(Application.id.desc())
    )
    return render_template("grants/my_applications.html", applications=list(mine), rounds=open_rounds())


def _application_form(round_: Round, application: Application | None = None) -> forms.ApplicationForm:
    form = forms.ApplicationForm()
    if request.method == "GET":
        if application is not None:
            form = _filled_form(application)
        elif earlier := earlier_details(current_user.id):
            # Only what this applicant typed before, for a group staff have confirmed: never the register's words.
            form = forms.ApplicationForm(
                data={f"group_{name}": getattr(earlier, name) for name in ("name", "type", "number", "postcode")}
                | {"group_website": earlier.website}
            )
    form.theme.choices = [(t, t) for t in round_.themes]
    form.boroughs.choices = borough_choices()
    return form


def _filled_form(application: Application) -> forms.ApplicationForm:
    form = forms.ApplicationForm(obj=application)
    form.boroughs.data = [b.code for b in application.boroughs]
    form.people_expected.data = "" if application.people_expected is None else str(application.people_expected)
    form.amount_requested.data = f"{application.amount_requested_pence / 100:.2f}".removesuffix(".00")
    for entry, line in zip(form.budget_lines.entries, application.budget_lines, strict=False):
        entry.form.description.data = line.description
        entry.form.amount.data = f"{line.amount_pence / 100:.2f}".removesuffix(".00")
    return form


def _data(form: forms.ApplicationForm) -> ApplicationData:
    return ApplicationData(
        group=GroupDetails(
            name=form.group_name.data or "",
            type=form.group_type.data or None,
            number=form.group_number.data or None,
            postcode=form.group_postcode.data or None,
            website=form.group_website.data or None,
        ),
        contact_name=form.contact_name.data or "",
        contact_email=form.contact_email.data or "",
        contact_phone=form.contact_phone.data or "",
        title=form.title.data or "",
        summary=form.summary.data or "",
        activities=form.activities.data or "",
        beneficiaries=form.beneficiaries.data or "",
        theme=form.theme.data or None,
        borough_codes=list(form.boroughs.data or []),
        people_expected=forms.whole(form.people_expected.data),
        amount_requested_pence=forms.pence(form.amount_requested.data) or 0,
        start_on=form.start_on.data,
        end_on=form.end_on.data,
        budget_lines=form.lines(),
    )


def _show_problems(form: forms.ApplicationForm, problems: dict[str, str]) -> list[dict]:
    """Put each problem on its field; return those that belong to none, for the top of the form."""
    general = []
    for field, message in problems.items():
        if field in GENERAL_PROBLEMS:
            general.append({"text": message, "href": GENERAL_PROBLEMS[field]})
        else:
            getattr(form, field).errors = [*getattr(form, field).errors, message]
    return general


def _save_application(round_: Round, form: forms.ApplicationForm, application: Application | None):
    """Validate everything before anything is written; on a problem nothing is saved."""
    if not form.validate_on_submit():
        return None, []
    submitting = request.form.get("action") == "submit"
    data = _data(form)
    problems = submission_problems(round_, data) if submitting else {}
    if not submitting and (problem := amount_problem(round_, data.amount_requested_pence)):
        problems["amount_requested"] = problem
    if problems:
        return None, _show_problems(form, problems)
    try:
        if submitting:
            application = submit(round_, data, current_user, application)
        else:
            application = save_draft(round_, current_user, data, application)
    except GrantError as error:
        db.session.rollback()
        # The rule's sentence by the field it is about (one application per group: by the group's name).
        field = error.field if error.field and error.field in form else "round"
        return None, _show_problems(form, {field: error.message})
    db.session.commit()
    flash(
        "Your application has been submitted. We have emailed you a confirmation."
        if submitting
        else "Your draft has been saved. You can come back and finish it later.",
        "success",
    )
    return application, []


@bp.route("/grants/rounds/<int:round_id>/apply", methods=["GET", "POST"])
def apply(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = _application_form(round_)
    if request.method == "POST":
        application, general = _save_application(round_, form, None)
        if application is not None:
            return redirect(url_for("grants.my_application", application_id=application.id))
        return render_template("grants/apply.html", form=form, round=round_, general=general), 400
    if not is_open(round_):
        flash("This round is not open for applications.", "info")
    return render_template("grants/apply.html", form=form, round=round_, general=[])


@bp.route("/grants/my/<int:application_id>/edit", methods=["GET", "POST"])
def edit_application(application_id: int):
    application = _own(application_id)
    if application.status != Status.DRAFT:
        flash("This application has been submitted and can no longer be changed.", "info")
        return redirect(url_for("grants.my_application", application_id=application.id))
    form = _application_form(application.round, application)
    if request.method == "POST":
        saved, general = _save_application(application.round, form, application)
        if saved is not None:
            return redirect(url_for("grants.my_application", application_id=saved.id))
        return render_template(
            "grants/apply.html", form=form, round=application.round, general=general, application=application
        ), 400
    return render_template("grants/apply.html", form=form, round=application.round, general=[], application=application)


@bp.get("/grants/my/<int:application_id>")
def my_application(application_id: int):
    application = _own(application_id)
    return render_template("grants/my_application.html", application=application)


def _report_data(form: forms.ReportForm, spent: dict[int, int], counts: dict[str, forms.OutcomeCounts]) -> ReportData:
    return ReportData(
        spent=spent,
        people_reached=forms.validated(forms.whole(form.people_reached.data)),
        champions_recruited=forms.validated(forms.whole(form.champions_recruited.data)),
        activities=form.activities.data,
        outcomes=form.outcomes.data,
        story=form.story.data or "",
        story_public_consent=form.story_public_consent.data,
        outcome_counts=counts,
    )


@bp.route("/grants/my/<int:application_id>/report", methods=["GET", "POST"])
def report(application_id: int):
    application = _own(application_id)
    if not can_report(application):
        flash("The end-of-grant report can be sent once your grant has been paid, and only once.", "info")
        return redirect(url_for("grants.my_application", application_id=application.id))
    form, typed, ticked = _report_form(application)
    kinds = report_outcome_kinds(application)
    spend_errors: dict[int, str] = {}
    outcome_errors: dict[str, str] = {}
    if request.method == "POST":
        spent, spend_errors = forms.spend_problems(request.form, application.budget_lines)
        valid = form.validate_on_submit()
        reached = None if form.people_reached.errors else forms.whole(form.people_reached.data)
        counts, outcome_errors = forms.outcome_problems(request.form, kinds, reached)
        if valid and not spend_errors and not outcome_errors:
            submit_report(application, _report_data(form, spent, counts))
            db.session.commit()
            flash("Thank you. Your end-of-grant report has been sent.", "success")
            return redirect(url_for("grants.my_application", application_id=application.id))
    status = 400 if (form.errors or spend_errors or outcome_errors) else 200
    return render_template(
        "grants/report.html",
        form=form,
        application=application,
        spend_errors=spend_errors,
        typed=typed,
        kinds=kinds,
        ticked=ticked,
        outcome_errors=outcome_errors,
    ), status


def _report_form(application: Application):
    """The report form, what was typed and the kinds of outcome ticked; a report sent back to the group comes filled
    in with what they sent, to change."""
    sent = application.report
    if request.method == "POST":
        return forms.ReportForm(), request.form, set(request.form.getlist("outcome"))
    if sent is None:
        return forms.ReportForm(), {}, set()
    form = forms.ReportForm(
        formdata=None,
        data={
            "people_reached": str(sent.people_reached),
            "champions_recruited": str(sent.champions_recruited),
            "activities": sent.activities,
            "outcomes": sent.outcomes,
            "story": sent.story,
            "story_public_consent": sent.story_public_consent,
        },
    )
    typed = {
        f"{box}_{row.outcome_code}": "" if value is None else str(value)
        for row in sent.outcome_counts
        for box, value in zip(forms.OUTCOME_BOXES, (row.signposted, row.said_would_act, row.did_act), strict=True)
    }
    spent = {
        f"spent_{line.id}": f"{line.spent_pence / 100:.2f}".removesuffix(".00")
        for line in application.budget_lines
        if line.spent_pence is not None
    }
    return form, typed | spent, {row.outcome_code for row in sent.outcome_counts}
