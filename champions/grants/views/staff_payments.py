"""Staff pages for the money and the report of one grant: a tranche (paid, corrected or voided, never deleted),
the end-of-grant report (approved, sent back or waived), and the payments due across every round."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from champions.core.downloads import csv_response
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, Fund, Payment, ReportStatus, Round
from champions.grants.services import payments_due as due
from champions.grants.services.awards import Correction, correct_payment, mark_paid, void_payment
from champions.grants.services.lifecycle import GrantError
from champions.grants.services.reports import approve_report, return_report, waive_report


def _payment_forms(payment: Payment) -> dict:
    f = {
        "paid": forms.MarkPaidForm(prefix="mp"),
        "correct": forms.CorrectPaymentForm(prefix="co"),
        "void": forms.VoidPaymentForm(prefix="vo"),
    }
    if (request.view_args or {}).get("action") != "correct":  # not what was typed: the tranche as it is
        f["correct"].amount.data = f"{payment.amount_pence / 100:.2f}".removesuffix(".00")
        f["correct"].due_on.data = payment.due_on
        f["correct"].reference.data = payment.reference or ""
    return f


def _payment_page(payment: Payment, f: dict, general=(), status: int = 200):
    return render_template(
        "grants/payment.html", payment=payment, application=payment.application, f=f, general=list(general)
    ), status


@bp.get("/grants/staff/payments/<int:payment_id>")
def payment(payment_id: int):
    payment = db.get_or_404(Payment, payment_id)
    return _payment_page(payment, _payment_forms(payment))


def _change_payment(action: str, payment: Payment, form) -> str:
    if action == "paid":
        mark_paid(payment, form.paid_on.data, form.reference.data)
        return "The tranche has been marked as paid."
    if action == "void":
        void_payment(payment, form.reason.data)
        return "The tranche has been voided. It stays on the grant and counts for nothing."
    amount = forms.validated(forms.pence(form.amount.data))
    if not correct_payment(payment, Correction(amount, form.due_on.data, form.reference.data, form.reason.data)):
        return "Nothing was changed: the amount, due date and reference are as they were."
    return "The tranche has been corrected. Its earlier values are kept in its history."


@bp.post("/grants/staff/payments/<int:payment_id>/<action>")
def payment_act(payment_id: int, action: str):
    payment = db.get_or_404(Payment, payment_id)
    f = _payment_forms(payment)
    form = f.get(action)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return _payment_page(payment, f, status=400)
    try:
        message = _change_payment(action, payment, form)
    except GrantError as error:
        db.session.rollback()
        payment = db.session.get_one(Payment, payment_id)
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        return _payment_page(payment, f, [] if field is not None else [{"text": error.message, "href": "#"}], 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("grants.application", application_id=payment.application_id))


# ---------------------------------------------------------------------------------------------- the report


def _report_forms() -> dict:
    return {"return": forms.ReturnReportForm(prefix="rr"), "waive": forms.WaiveReportForm(prefix="wr")}


def _report_page(application: Application, f: dict, general=(), status: int = 200):
    return render_template(
        "grants/staff_report.html",
        application=application,
        f=f,
        general=list(general),
        ReportStatus=ReportStatus,
    ), status


@bp.get("/grants/staff/applications/<int:application_id>/report")
def staff_report(application_id: int):
    application = db.get_or_404(Application, application_id)
    return _report_page(application, _report_forms())


def _decide(action: str, application: Application, f: dict) -> str | None:
    if action == "approve":
        approve_report(application)
        return "The report has been approved. Tranches waiting on it can now be paid."
    form = f.get(action)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return None
    if action == "return":
        return_report(application, form.reason.data)
        return "The report has been sent back. The group can see why and send it again."
    waive_report(application, form.reason.data)
    return "The report has been waived. Tranches waiting on it can now be paid."


@bp.post("/grants/staff/applications/<int:application_id>/report/<action>")
def report_act(application_id: int, action: str):
    application = db.get_or_404(Application, application_id)
    f = _report_forms()
    try:
        message = _decide(action, application, f)
    except GrantError as error:
        db.session.rollback()
        application = db.session.get_one(Application, application_id)
        form = f.get(action)
        field = getattr(form, error.field, None) if form is not None and error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        return _report_page(application, f, [] if field is not None else [{"text": error.message, "href": "#"}], 400)
    if message is None:
        return _report_page(application, f, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("grants.staff_report", application_id=application.id))


# ---------------------------------------------------------------------------------------------- payments due


@bp.get("/grants/staff/payments-due")
def payments_due():
    filters = due.parse_filters(request.args)
    page = due.due_page(filters, request.args.get("after"))
    rounds = db.session.execute(select(Round.id, Round.name).order_by(Round.opens_at.desc(), Round.id)).all()
    funds = db.session.execute(select(Fund.id, Fund.name).order_by(Fund.name)).all()
    return render_template(
        "grants/payments_due.html",
        filters=filters,
        page=page,
        rounds=rounds,
        funds=funds,
        is_overdue=due.is_overdue,
        report_label=due.report_label,
    ), 400 if filters.error else 200


@bp.get("/grants/staff/payments-due.csv")
def payments_due_csv():
    filters = due.parse_filters(request.args)
    rows = due.export_due(filters)
    db.session.commit()
    return csv_response("payments-due.csv", due.EXPORT_HEADER, rows)
