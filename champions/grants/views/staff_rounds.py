"""Staff pages for funds and rounds: adding them, who funds and who reviews, a round's applications and its panel."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core.clock import UK
from champions.core.downloads import csv_response
from champions.core.forms import db_id
from champions.core.pagination import keyset_page
from champions.core.places import borough_choices
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, Fund, Round, Status
from champions.grants.services.awards import awaiting_second_approval
from champions.grants.services.lifecycle import GrantError, awarded_total
from champions.grants.services.reviews import panel_pack, ranked
from champions.grants.services.rounds import (
    EXPORT_HEADER,
    FORM_FIELDS,
    LOCKED_ONCE_SUBMITTED,
    RoundData,
    close_round,
    create_fund,
    create_round,
    current_data,
    edit_problems,
    export_round,
    is_open,
    last_submission,
    outstanding_reports,
    round_applications,
    round_problems,
    set_fund_funders,
    set_round_reviewers,
    update_fund,
    update_round,
)

LOCKED_FORM_FIELDS = [FORM_FIELDS[name] for name in LOCKED_ONCE_SUBMITTED]


def _users(role: str) -> list[tuple[int, str]]:
    return [(u.id, u.email) for u in db.session.scalars(select(User).where(User.role == role).order_by(User.email))]


@bp.route("/grants/staff", methods=["GET", "POST"])
def staff_funds():
    form = forms.FundForm()
    if form.validate_on_submit():
        fund = create_fund(form.name.data, form.funder_organisation.data)
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
        set_fund_funders(fund, form.funders.data or [])
        db.session.commit()
        flash("The funders who may see this fund have been saved.", "success")
        return redirect(url_for("grants.fund", fund_id=fund.id))
    return render_template("grants/fund.html", fund=fund, form=form), 400 if form.errors else 200


@bp.route("/grants/staff/funds/<int:fund_id>/edit", methods=["GET", "POST"])
def fund_edit(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    form = forms.FundForm(obj=fund if request.method == "GET" else None)
    if form.validate_on_submit():
        changed = update_fund(fund, form.name.data, form.funder_organisation.data)
        db.session.commit()
        flash("The fund's details have been saved." if changed else "Nothing needed changing.", "success")
        return redirect(url_for("grants.fund", fund_id=fund.id))
    return render_template("grants/fund_edit.html", fund=fund, form=form), 400 if form.errors else 200


def _round_data(form: forms.RoundForm) -> RoundData:
    return RoundData(
        name=form.name.data,
        budget_pence=forms.validated(forms.pence(form.budget.data)),
        min_award_pence=forms.validated(forms.pence(form.min_award.data)),
        max_award_pence=forms.validated(forms.pence(form.max_award.data)),
        themes=[t.strip() for t in form.themes.data.splitlines() if t.strip()],
        borough_codes=list(form.boroughs.data),
        opens_at=forms.uk_datetime(form.opens_at.data),
        closes_at=forms.uk_datetime(form.closes_at.data),
        reviewers_per_application=forms.validated(forms.whole(form.reviewers_per_application.data)),
        criteria=forms.validated(forms.parse_criteria(form.criteria.data)),
        second_approval_above_pence=forms.pence(form.second_approval_above.data),
        anonymise_reviews=bool(form.anonymise_reviews.data),
    )


@bp.route("/grants/staff/funds/<int:fund_id>/rounds/new", methods=["GET", "POST"])
def round_new(fund_id: int):
    fund = db.get_or_404(Fund, fund_id)
    form = forms.RoundForm()
    form.boroughs.choices = borough_choices()
    if form.validate_on_submit():
        data = _round_data(form)
        problems = round_problems(data)
        for field, message in problems.items():
            getattr(form, field).errors = [*getattr(form, field).errors, message]
        if not problems:
            round_ = create_round(fund, data)
            db.session.commit()
            flash(f"The round '{round_.name}' has been added.", "success")
            return redirect(url_for("grants.round_detail", round_id=round_.id))
    return render_template("grants/round_new.html", fund=fund, form=form), 400 if form.errors else 200


def _money(pence: int | None) -> str:
    return "" if pence is None else f"{pence / 100:.2f}".removesuffix(".00")


def _round_values(round_: Round) -> dict[str, str | list[str]]:
    """The round's rules as its form shows them (UK times, pounds, a theme or criterion a line)."""
    data = current_data(round_)
    values: dict[str, str | list[str]] = {
        "name": data.name,
        "budget": _money(data.budget_pence),
        "min_award": _money(data.min_award_pence),
        "max_award": _money(data.max_award_pence),
        "themes": "\n".join(data.themes),
        "boroughs": data.borough_codes,
        "opens_at": data.opens_at.astimezone(UK).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": data.closes_at.astimezone(UK).strftime("%Y-%m-%dT%H:%M"),
        "reviewers_per_application": str(data.reviewers_per_application),
        "criteria": "\n".join(f"{n}: {w}" for n, w in data.criteria),
        "second_approval_above": _money(data.second_approval_above_pence),
    }
    if data.anonymise_reviews:
        values["anonymise_reviews"] = "y"
    return values


def _edit_form(round_: Round, locked: bool) -> forms.RoundForm:
    """The round's form, filled in; once applications are submitted its locked rules are read from the round,
    whatever was posted for them (the page shows them as text)."""
    values = _round_values(round_)
    if request.method == "GET":
        form = forms.RoundForm(formdata=None, data=values)
    else:
        posted = request.form.copy()
        if locked:
            for name in LOCKED_FORM_FIELDS:
                value = values.get(name, [])
                posted.setlist(name, value if isinstance(value, list) else [value])
        form = forms.RoundForm(formdata=posted)
    form.boroughs.choices = borough_choices()
    return form


@bp.route("/grants/staff/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def round_edit(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    locked = last_submission(round_.id) is not None
    form = _edit_form(round_, locked)
    if form.validate_on_submit():
        data = _round_data(form)
        for field, message in edit_problems(round_, data).items():
            getattr(form, field).errors = [*getattr(form, field).errors, message]
        if not form.errors:
            changed = update_round(round_, data)
            db.session.commit()
            flash(f"The round '{round_.name}' has been saved." if changed else "Nothing was changed.", "success")
            return redirect(url_for("grants.round_detail", round_id=round_.id))
    return render_template(
        "grants/round_edit.html",
        round=round_,
        form=form,
        locked=locked,
        locked_fields=LOCKED_FORM_FIELDS,
        awarded=awarded_total(round_.id),
    ), 400 if form.errors else 200


def _change_round(round_: Round, form: forms.RoundReviewersForm) -> None:
    """Close the round, or save its review panel, as the button pressed asks."""
    if request.form.get("action") == "close":
        close_round(round_)
        db.session.commit()
        flash("The round has been closed.", "success")
    elif form.validate_on_submit():
        set_round_reviewers(round_, form.reviewers.data or [])
        db.session.commit()
        flash("The round's review panel has been saved.", "success")


@bp.route("/grants/staff/rounds/<int:round_id>", methods=["GET", "POST"])
def round_detail(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    form = forms.RoundReviewersForm()
    form.reviewers.choices = _users("reviewer")
    if request.method == "POST":
        try:
            _change_round(round_, form)
        except GrantError as error:
            db.session.rollback()
            round_ = db.session.get_one(Round, round_id)
            form.reviewers.data = [u.id for u in round_.reviewers]
            return _round_page(round_, form, [error.message], 400)
        return redirect(url_for("grants.round_detail", round_id=round_.id))
    form.reviewers.data = [u.id for u in round_.reviewers]
    return _round_page(round_, form)


def _round_page(round_: Round, form: forms.RoundReviewersForm, problems=(), code: int = 200):
    status = request.args.get("status") or None
    before = request.args.get("before", type=db_id)
    page = keyset_page(round_applications(round_.id, status), Application.id, before)
    return render_template(
        "grants/round_detail.html",
        round=round_,
        form=form,
        page=page,
        status=status,
        statuses=list(Status),
        awarded=awarded_total(round_.id),
        awaiting=awaiting_second_approval(round_.id),
        is_open=is_open(round_),
        outstanding=outstanding_reports(round_.id) if round_.closed_at is None else [],
        problems=list(problems),
    ), code


@bp.get("/grants/staff/rounds/<int:round_id>/applications.csv")
def round_csv(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    rows = export_round(round_, request.args.get("status"))
    db.session.commit()
    return csv_response(f"round-{round_.id}-applications.csv", EXPORT_HEADER, rows)


@bp.get("/grants/staff/rounds/<int:round_id>/panel")
def panel(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    return render_template("grants/panel.html", round=round_, rows=ranked(round_.id))


@bp.get("/grants/staff/rounds/<int:round_id>/panel.csv")
def panel_csv(round_id: int):
    round_ = db.get_or_404(Round, round_id)
    header, rows = panel_pack(round_)
    db.session.commit()
    return csv_response(f"round-{round_.id}-panel-pack.csv", header, rows)
