"""Staff pages for funds and rounds: adding them, who funds and who reviews, a round's applications and its panel."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from champions.accounts.models import User
from champions.core.downloads import csv_response
from champions.core.forms import db_id
from champions.core.pagination import keyset_page
from champions.core.places import borough_choices
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, Fund, Round, Status
from champions.grants.services.lifecycle import awarded_total
from champions.grants.services.reviews import ranked
from champions.grants.services.rounds import (
    EXPORT_HEADER,
    RoundData,
    close_round,
    create_fund,
    create_round,
    export_round,
    is_open,
    round_applications,
    round_problems,
    set_fund_funders,
    set_round_reviewers,
)


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
        _change_round(round_, form)
        return redirect(url_for("grants.round_detail", round_id=round_.id))
    form.reviewers.data = [u.id for u in round_.reviewers]
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
        is_open=is_open(round_),
    )


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
