"""Small Sparks pages: public rounds and applicant sign-up, applicants, reviewers, staff and funders.

Object-level rules live here: an applicant sees only their own applications (404 otherwise),
a reviewer only their own assignments, a funder only the funds they are linked to.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.accounts.services import EmailTaken, answer_taken_sign_up, count_sign_up, register_applicant
from champions.accounts.views import check_your_email
from champions.core import audit
from champions.core.celery import enqueue
from champions.core.db import now_utc
from champions.core.downloads import csv_response
from champions.core.forms import db_id
from champions.core.models import AuditEvent
from champions.core.notice import PRIVACY_NOTICE_VERSION
from champions.core.pagination import keyset_page
from champions.core.permissions import Role
from champions.core.places import borough_choices
from champions.core.snapshots import latest_snapshot
from champions.core.throttle import client_address
from champions.extensions import db
from champions.grants import bp, forms, services
from champions.grants.dashboard import funder_tables, snapshot_kind
from champions.grants.models import Application, Fund, Payment, ReviewAssignment, Round, Status
from champions.grants.services import GrantError, pounds
from champions.grants.tasks import compute_funder_snapshot
from champions.organisations.models import Organisation


@bp.record_once
def _template_globals(state) -> None:
    # Globals, not a context processor, so that imported macros see them too.
    state.app.jinja_env.globals.update(pounds=pounds, Status=Status)


def _users(role: str) -> list[tuple[int, str]]:
    return [(u.id, u.email) for u in db.session.scalars(select(User).where(User.role == role).order_by(User.email))]


# ---- public -----------------------------------------------------------------------------------


@bp.get("/grants")
def rounds():
    return render_template("grants/rounds.html", rounds=services.open_rounds())


@bp.route("/grants/register", methods=["GET", "POST"])
def applicant_register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = forms.ApplicantRegistrationForm()
    if form.validate_on_submit():
        count_sign_up(client_address())
        try:
            user = register_applicant(form.email.data, form.password.data, consent_version=PRIVACY_NOTICE_VERSION)
        except EmailTaken:
            answer_taken_sign_up(form.email.data, form.password.data)
            user = None
        return check_your_email(user, "grants.applicant_register")
    return render_template("grants/register.html", form=form), 400 if form.errors else 200


# ---- applicants -------------------------------------------------------------------------------


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
        .options(selectinload(Application.organisation), selectinload(Application.round))
        .order_by(Application.id.desc())
    )
    return render_template("grants/my_applications.html", applications=list(mine), rounds=services.open_rounds())


def _application_form(round_: Round, application: Application | None = None) -> forms.ApplicationForm:
    form = forms.ApplicationForm()
    if application is not None and request.method == "GET":
        form = forms.ApplicationForm(obj=application)
        form.organisation_id.data = str(application.organisation_id)
        form.boroughs.data = [b.code for b in application.boroughs]
        form.people_expected.data = "" if application.people_expected is None else str(application.people_expected)
        form.amount_requested.data = f"{application.amount_requested_pence / 100:.2f}".removesuffix(".00")
        for entry, line in zip(form.budget_lines.entries, application.budget_lines, strict=False):
            entry.form.description.data = line.description
            entry.form.amount.data = f"{line.amount_pence / 100:.2f}".removesuffix(".00")
    orgs = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name)
    ).all()
    form.organisation_id.choices = [("", "My group is not listed")] + [(str(i), n) for i, n in orgs]
    form.theme.choices = [(t, t) for t in round_.themes]
    form.boroughs.choices = borough_choices()
    return form


def _data(form: forms.ApplicationForm, organisation_id: int) -> services.ApplicationData:
    return services.ApplicationData(
        organisation_id=organisation_id,
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


FIELD_FOR_PROBLEM = {"budget_lines": "amount_requested", "round": "title"}


def _save_application(round_: Round, form: forms.ApplicationForm, application: Application | None):
    """Validate everything before anything is written; on a problem nothing is saved (not even a new group)."""
    general: list[dict] = []
    if not form.validate_on_submit():
        return None, general
    submitting = request.form.get("action") == "submit"
    data = _data(form, 0)
    problems = services.submission_problems(round_, data) if submitting else {}
    if not submitting and (problem := services.amount_problem(round_, data.amount_requested_pence)):
        problems["amount_requested"] = problem
    for field, message in problems.items():
        if field in ("round", "budget_lines"):
            general.append({"text": message, "href": "#budget" if field == "budget_lines" else "#title"})
        else:
            getattr(form, field).errors = [*getattr(form, field).errors, message]
    if problems:
        return None, general
    if form.organisation_id.data:
        data.organisation_id = int(form.organisation_id.data)
    else:
        data.organisation_id = services.find_or_add_organisation(
            form.new_organisation.data, data.borough_codes, current_user.id
        ).id
    try:
        if submitting:
            application = services.submit(round_, data, current_user, application)
        else:
            application = services.save_draft(round_, current_user, data, application)
    except GrantError as error:
        db.session.rollback()
        general.append({"text": error.message, "href": "#title"})
        return None, general
    db.session.commit()
    flash(
        "Your application has been submitted. We have emailed you a confirmation."
        if submitting
        else "Your draft has been saved. You can come back and finish it later.",
        "success",
    )
    return application, general


@bp.route("/grants/rounds/<int:round_id>/apply", methods=["GET", "POST"])
def apply(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = _application_form(round_)
    if request.method == "POST":
        application, general = _save_application(round_, form, None)
        if application is not None:
            return redirect(url_for("grants.my_application", application_id=application.id))
        return render_template("grants/apply.html", form=form, round=round_, general=general), 400
    if not services.is_open(round_):
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


@bp.route("/grants/my/<int:application_id>/report", methods=["GET", "POST"])
def report(application_id: int):
    application = _own(application_id)
    if Status(application.status) not in services.REPORTABLE:
        flash("The end-of-grant report can be sent once your grant has been paid, and only once.", "info")
        return redirect(url_for("grants.my_application", application_id=application.id))
    form = forms.ReportForm()
    spend_errors: dict[int, str] = {}
    if request.method == "POST":
        spent, spend_errors = forms.spend_problems(request.form, application.budget_lines)
        if form.validate_on_submit() and not spend_errors:
            data = services.ReportData(
                spent=spent,
                people_reached=forms.whole(form.people_reached.data),
                champions_recruited=forms.whole(form.champions_recruited.data),
                activities=form.activities.data,
                outcomes=form.outcomes.data,
                story=form.story.data or "",
                story_public_consent=form.story_public_consent.data,
            )
            services.submit_report(application, data)
            db.session.commit()
            flash("Thank you. Your end-of-grant report has been sent.", "success")
            return redirect(url_for("grants.my_application", application_id=application.id))
    status = 400 if (form.errors or spend_errors) else 200
    return render_template(
        "grants/report.html", form=form, application=application, spend_errors=spend_errors, typed=request.form
    ), status


# ---- reviewers --------------------------------------------------------------------------------


@bp.get("/grants/reviews")
def reviews():
    mine = (
        select(ReviewAssignment)
        .where(ReviewAssignment.reviewer_id == current_user.id)
        .options(
            selectinload(ReviewAssignment.application).selectinload(Application.organisation),
            selectinload(ReviewAssignment.application).selectinload(Application.round),
        )
    )
    to_do = db.session.scalars(mine.where(ReviewAssignment.submitted_at.is_(None)).order_by(ReviewAssignment.id))
    done = keyset_page(
        mine.where(ReviewAssignment.submitted_at.is_not(None)),
        ReviewAssignment.id,
        request.args.get("before", type=db_id),
    )
    return render_template("grants/reviews.html", to_do=list(to_do), done=done)


@bp.route("/grants/reviews/<int:assignment_id>", methods=["GET", "POST"])
def review(assignment_id: int):
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    criteria = assignment.application.round.criteria
    conflict_form = forms.ConflictForm(prefix="c")
    scores = forms.score_form(criteria)
    status, general = 200, []
    if request.method == "POST":
        try:
            if request.form.get("action") == "conflict":
                if conflict_form.validate_on_submit():
                    services.declare_conflict(assignment, conflict_form.conflict.data == "yes", conflict_form.note.data)
                    db.session.commit()
                    flash("Thank you for your declaration.", "success")
                    return redirect(url_for("grants.review", assignment_id=assignment.id))
            elif scores.validate_on_submit():
                values = {c.id: (int(scores[f"score_{c.id}"].data), scores[f"comment_{c.id}"].data) for c in criteria}
                services.submit_scores(assignment, values)
                db.session.commit()
                flash("Your scores have been submitted. You can now see the other reviewers' scores.", "success")
                return redirect(url_for("grants.review", assignment_id=assignment.id))
        except GrantError as error:
            db.session.rollback()
            general.append({"text": error.message, "href": "#maincontent"})
        status = 400
    return render_template(
        "grants/review.html",
        assignment=assignment,
        conflict_form=conflict_form,
        scores=scores,
        criteria=criteria,
        others=services.visible_reviews(assignment),
        general=general,
    ), status


# ---- staff ------------------------------------------------------------------------------------


@bp.route("/grants/staff", methods=["GET", "POST"])
def staff_funds():
    form = forms.FundForm()
    if form.validate_on_submit():
        fund = services.create_fund(form.name.data, form.funder_organisation.data)
        db.session.commit()
        flash(f"The fund '{fund.name}' has been added.", "success")
        return redirect(url_for("grants.fund", fund_id=fund.id))
    funds = list(db.session.scalars(select(Fund).order_by(Fund.name).options(selectinload(Fund.rounds))))
    return render_template("grants/staff_funds.html", funds=funds, form=form), 400 if form.errors else 200


@bp.route("/grants/staff/funds/<int:fund_id>", methods=["GET", "POST"])
def fund(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    form = forms.FundFundersForm()
    form.funders.choices = _users("funder")
    if request.method == "GET":
        form.funders.data = [u.id for u in fund.funders]
    elif form.validate_on_submit():
        services.set_fund_funders(fund, form.funders.data or [])
        db.session.commit()
        flash("The funders who may see this fund have been saved.", "success")
        return redirect(url_for("grants.fund", fund_id=fund.id))
    return render_template("grants/fund.html", fund=fund, form=form), 400 if form.errors else 200


def _round_data(form: forms.RoundForm) -> services.RoundData:
    return services.RoundData(
        name=form.name.data,
        budget_pence=forms.pence(form.budget.data),
        min_award_pence=forms.pence(form.min_award.data),
        max_award_pence=forms.pence(form.max_award.data),
        themes=[t.strip() for t in form.themes.data.splitlines() if t.strip()],
        borough_codes=list(form.boroughs.data),
        opens_at=forms.uk_datetime(form.opens_at.data),
        closes_at=forms.uk_datetime(form.closes_at.data),
        reviewers_per_application=forms.whole(form.reviewers_per_application.data),
        criteria=forms.parse_criteria(form.criteria.data),
    )


@bp.route("/grants/staff/funds/<int:fund_id>/rounds/new", methods=["GET", "POST"])
def round_new(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    form = forms.RoundForm()
    form.boroughs.choices = borough_choices()
    if form.validate_on_submit():
        data = _round_data(form)
        problems = services.round_problems(data)
        for field, message in problems.items():
            getattr(form, field).errors = [*getattr(form, field).errors, message]
        if not problems:
            round_ = services.create_round(fund, data)
            db.session.commit()
            flash(f"The round '{round_.name}' has been added.", "success")
            return redirect(url_for("grants.round_detail", round_id=round_.id))
    return render_template("grants/round_new.html", fund=fund, form=form), 400 if form.errors else 200


def _round_query(round_id: int, status: str | None):
    query = (
        select(Application)
        .where(Application.round_id == round_id)
        .options(
            selectinload(Application.organisation),
            selectinload(Application.boroughs),
            selectinload(Application.payments),
        )
    )
    if status in {s.value for s in Status}:
        query = query.where(Application.status == status)
    return query


@bp.route("/grants/staff/rounds/<int:round_id>", methods=["GET", "POST"])
def round_detail(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = forms.RoundReviewersForm()
    form.reviewers.choices = _users("reviewer")
    if request.method == "POST":
        if request.form.get("action") == "close":
            services.close_round(round_)
            db.session.commit()
            flash("The round has been closed.", "success")
        elif form.validate_on_submit():
            services.set_round_reviewers(round_, form.reviewers.data or [])
            db.session.commit()
            flash("The round's review panel has been saved.", "success")
        return redirect(url_for("grants.round_detail", round_id=round_.id))
    form.reviewers.data = [u.id for u in round_.reviewers]
    status = request.args.get("status") or None
    before = request.args.get("before", type=db_id)
    page = keyset_page(_round_query(round_.id, status), Application.id, before)
    return render_template(
        "grants/round_detail.html",
        round=round_,
        form=form,
        page=page,
        status=status,
        statuses=list(Status),
        awarded=services.awarded_total(round_.id),
        is_open=services.is_open(round_),
    )


@bp.get("/grants/staff/rounds/<int:round_id>/applications.csv")
def round_csv(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    apps = db.session.scalars(_round_query(round_.id, request.args.get("status")).order_by(Application.id))
    rows = [
        [
            a.id,
            a.organisation.name,
            a.title,
            a.status_label,
            a.theme or "",
            "; ".join(b.name for b in a.boroughs),
            pounds(a.amount_requested_pence),
            pounds(a.award_pence),
            pounds(a.paid_pence),
            a.report_due_on.isoformat() if a.report_due_on else "",
        ]
        for a in apps
    ]
    audit.record("grant.round_exported", round_)
    db.session.commit()
    header = ["Id", "Group", "Title", "Status", "Theme", "Boroughs", "Requested", "Awarded", "Paid", "Report due"]
    return csv_response(f"round-{round_.id}-applications.csv", header, rows)


@bp.get("/grants/staff/rounds/<int:round_id>/panel")
def panel(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    return render_template("grants/panel.html", round=round_, rows=services.ranked(round_.id))


def _action_forms(application: Application) -> dict:
    forms_ = {
        "eligibility": forms.EligibilityForm(prefix="el"),
        "reviewers": forms.AssignReviewersForm(prefix="rv"),
        "approve": forms.ApproveForm(prefix="ap"),
        "decline": forms.DeclineForm(prefix="de"),
        "payment": forms.PaymentForm(prefix="pa"),
        "paid": forms.MarkPaidForm(prefix="mp"),
    }
    forms_["reviewers"].reviewers.choices = [(u.id, u.email) for u in application.round.reviewers]
    if (request.view_args or {}).get("action") != "reviewers":
        forms_["reviewers"].reviewers.data = [a.reviewer_id for a in application.assignments]
    return forms_


def _application_page(application: Application, action_forms: dict, general=(), status: int = 200):
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == "Application", AuditEvent.target_id == str(application.id))
        .order_by(AuditEvent.id)
    )
    return render_template(
        "grants/application.html",
        application=application,
        f=action_forms,
        general=list(general),
        history=list(history),
        scores=services.weighted_scores(application.round_id).get(application.id),
        remaining=application.round.budget_pence - services.awarded_total(application.round_id),
    ), status


@bp.get("/grants/staff/applications/<int:application_id>")
def application(application_id: int):
    application = db.get_or_404(Application, application_id)
    return _application_page(application, _action_forms(application))


def _perform(action: str, application: Application, f: dict) -> str | None:
    """Run one staff action; a message for the flash, or None when the form did not validate."""
    form = f.get(action)
    if action == "close":
        services.close(application)  # the page asks for no reason: decline and ineligible carry theirs
        return "The application has been closed."
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return None
    if action == "eligibility":
        services.override_eligibility(application, form.decision.data == "eligible", form.reason.data)
        return "Eligibility has been overridden."
    if action == "reviewers":
        services.assign_reviewers(application, form.reviewers.data or [])
        return "Reviewers have been assigned."
    if action == "approve":
        services.approve(application.id, forms.pence(form.award.data), form.conditions.data, current_user.id)
        return "The grant has been approved. The group will be emailed."
    if action == "decline":
        services.decline(application, form.reason.data, current_user.id)
        return "The application has been declined. The group will be emailed."
    if action == "payment":
        services.add_payment(
            application.id, forms.pence(form.amount.data), form.due_on.data, form.paid_on.data, form.reference.data
        )
        return "The payment has been recorded."
    payment = db.session.get(Payment, request.form.get("payment_id", type=db_id) or 0)
    if payment is None or payment.application_id != application.id:
        abort(404)
    services.mark_paid(payment, form.paid_on.data, form.reference.data)
    return "The payment has been marked as paid."


@bp.post("/grants/staff/applications/<int:application_id>/<action>")
def act(application_id: int, action: str):
    application = db.get_or_404(Application, application_id)
    f = _action_forms(application)
    general = []
    try:
        message = _perform(action, application, f)
    except GrantError as error:
        db.session.rollback()
        application = db.session.get(Application, application_id)
        target = f.get(action)
        field = getattr(target, error.field, None) if target is not None and error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            general.append({"text": error.message, "href": "#actions"})
        return _application_page(application, f, general, 400)
    if message is None:
        return _application_page(application, f, general, 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("grants.application", application_id=application.id))


# ---- funders ----------------------------------------------------------------------------------


def _visible_funds():
    query = select(Fund).order_by(Fund.name)
    if current_user.role == Role.FUNDER:
        query = query.where(Fund.funders.any(User.id == current_user.id))
    return query


def _visible_fund(fund_id: int) -> Fund:
    fund = db.session.scalar(_visible_funds().where(Fund.id == fund_id))
    if fund is None:
        abort(404)  # the same answer for a fund that does not exist and one that is not theirs
    return fund


@bp.get("/grants/funder")
def funder_home():
    return render_template("grants/funder_home.html", funds=list(db.session.scalars(_visible_funds())))


def _tables(fund: Fund):
    snapshot = latest_snapshot(snapshot_kind(fund.id))
    if snapshot is None:
        return None, {}
    ids = [r["application_id"] for r in snapshot.data.get("overdue", [])]
    names = dict(
        db.session.execute(
            select(Application.id, Organisation.name).join(Organisation).where(Application.id.in_(ids))
        ).all()
    )
    return snapshot, funder_tables(snapshot.data, names)


@bp.get("/grants/funder/funds/<int:fund_id>")
def funder_dashboard(fund_id: int):
    fund = _visible_fund(fund_id)
    snapshot, tables = _tables(fund)
    return render_template("grants/funder_dashboard.html", fund=fund, snapshot=snapshot, tables=tables, now=now_utc())


@bp.get("/grants/funder/funds/<int:fund_id>/<table>.csv")
def funder_csv(fund_id: int, table: str):
    fund = _visible_fund(fund_id)
    _, tables = _tables(fund)
    if table not in tables:
        abort(404)
    audit.record("grant.funder_export", fund, table=table)
    db.session.commit()
    return csv_response(f"fund-{fund.id}-{table}.csv", tables[table]["headers"], tables[table]["rows"])


@bp.post("/grants/funder/funds/<int:fund_id>/recompute")
def funder_recompute(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    enqueue(compute_funder_snapshot, fund.id)
    db.session.commit()
    flash("The figures are being recomputed. Refresh this page in a moment to see them.", "success")
    return redirect(url_for("grants.funder_dashboard", fund_id=fund.id))
