"""The staff page of one application: its history and scores, and every action on it, each a form of its own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from champions.core import audit
from champions.core.forms import ConfirmForm, db_id
from champions.core.models import AuditEvent
from champions.extensions import db
from champions.grants import bp, forms
from champions.grants.models import Application, Payment, Status
from champions.grants.services.applications import override_eligibility
from champions.grants.services.awards import (
    add_payment,
    approve,
    close,
    confirm_approval,
    counted_reviews,
    decline,
    mark_paid,
    send_back,
)
from champions.grants.services.groups import proposed_match
from champions.grants.services.lifecycle import GrantError, awarded_total
from champions.grants.services.reviews import assign_reviewers, weighted_scores
from champions.grants.views.group_panel import group_forms, group_panel


def _action_forms(application: Application) -> dict:
    forms_ = {
        "eligibility": forms.EligibilityForm(prefix="el"),
        "reviewers": forms.AssignReviewersForm(prefix="rv"),
        "approve": forms.ApproveForm(prefix="ap"),
        "decline": forms.DeclineForm(prefix="de"),
        "confirm": ConfirmForm(prefix="sa"),
        "send_back": forms.SendBackForm(prefix="sb"),
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
    proposed = proposed_match(application)  # looked up once for the group's panel and its form
    return render_template(
        "grants/application.html",
        application=application,
        f=group_forms(application, action_forms, proposed) | action_forms,
        group=group_panel(application, proposed),
        general=list(general),
        history=list(history),
        scores=weighted_scores(application.round_id).get(application.id),
        remaining=application.round.budget_pence - awarded_total(application.round_id),
        counted_reviews=counted_reviews(application),
    ), status


@bp.get("/grants/staff/applications/<int:application_id>")
def application(application_id: int):
    application = db.get_or_404(Application, application_id)
    audit.viewed("grant.application_viewed", application, subject_user_ids=(application.applicant_id,))
    return _application_page(application, _action_forms(application))


def _perform(action: str, application: Application, f: dict) -> str | None:
    """Run one staff action; a message for the flash, or None when the form did not validate."""
    form = f.get(action)
    if action == "close":
        close(application)  # the page asks for no reason: decline and ineligible carry theirs
        return "The application has been closed."
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        return None
    if action == "eligibility":
        override_eligibility(application, form.decision.data == "eligible", form.reason.data)
        return "Eligibility has been overridden."
    if action == "reviewers":
        assign_reviewers(application, form.reviewers.data or [])
        return "Reviewers have been assigned."
    if action == "approve":
        award = forms.validated(forms.pence(form.award.data))
        approve(application.id, award, form.conditions.data, current_user.id, form.few_reviews_reason.data)
        if application.status == Status.AWAITING_APPROVAL:
            return "The award needs a second approval: another member of staff must confirm it before the group hears."
        return "The grant has been approved. The group will be emailed."
    if action == "confirm":
        confirm_approval(application.id, current_user.id)
        return "The award has been confirmed and the grant approved. The group will be emailed."
    if action == "send_back":
        send_back(application.id, form.reason.data, current_user.id)
        return "The award has been sent back for review. Nothing was awarded."
    if action == "decline":
        decline(application, form.reason.data, current_user.id)
        return "The application has been declined. The group will be emailed."
    if action == "payment":
        amount = forms.validated(forms.pence(form.amount.data))
        add_payment(
            application.id,
            amount,
            form.due_on.data,
            form.paid_on.data,
            form.reference.data,
            waits_on_report=bool(form.waits_on_report.data),
        )
        return "The payment has been recorded."
    payment = db.session.get(Payment, request.form.get("payment_id", type=db_id) or 0)
    if payment is None or payment.application_id != application.id:
        abort(404)
    mark_paid(payment, form.paid_on.data, form.reference.data)
    return "The payment has been marked as paid."


def _refused(application_id: int, f: dict, action: str, error: GrantError):
    """The page again, the rule's message on the field it names (or at the top), nothing of the action saved."""
    db.session.rollback()
    application = db.session.get_one(Application, application_id)  # act found it before the rollback
    target = f.get(action)
    field = getattr(target, error.field, None) if target is not None and error.field else None
    general = []
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        general.append({"text": error.message, "href": "#actions"})
    return _application_page(application, f, general, 400)


@bp.post("/grants/staff/applications/<int:application_id>/<action>")
def act(application_id: int, action: str):
    application = db.get_or_404(Application, application_id)
    f = _action_forms(application)
    try:
        message = _perform(action, application, f)
    except GrantError as error:
        return _refused(application_id, f, action, error)
    if message is None:
        return _application_page(application, f, [], 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("grants.application", application_id=application.id))
