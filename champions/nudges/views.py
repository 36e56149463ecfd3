from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from champions.core.db import now_utc
from champions.core.forms import db_id
from champions.core.pagination import keyset_page
from champions.extensions import csrf, db
from champions.nudges import bp, evaluation, rendering, services
from champions.nudges.conditions import CONDITIONS, KINDS, audience, describe
from champions.nudges.effect import rule_effect, rule_effects
from champions.nudges.forms import MessageFilterForm, RuleForm
from champions.nudges.models import MessageStatus, NudgeMessage, NudgeRule
from champions.nudges.tokens import read_unsubscribe
from champions.profiles.models import Champion
from champions.spread.queries import boroughs_below_one


def _counts_by_rule() -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(NudgeMessage.rule_id, NudgeMessage.status, func.count()).group_by(
            NudgeMessage.rule_id, NudgeMessage.status
        )
    ).all()
    return {(rule_id, status): n for rule_id, status, n in rows}


@bp.get("/staff/nudges")
def rules():
    all_rules = list(db.session.scalars(select(NudgeRule).order_by(NudgeRule.id)))
    return render_template(
        "nudges/rules.html",
        rules=all_rules,
        audience=evaluation.audience_sizes(all_rules),
        effects=rule_effects(all_rules),
        counts=_counts_by_rule(),
        described={r.id: describe(r.condition, r.params) for r in all_rules},
    )


def _sample_preview(rule: NudgeRule):
    """The email as one real person in the audience (or any champion) would get it."""
    who = audience(rule.condition, rule.params, now_utc()).subquery()
    row = db.session.execute(select(who.c.user_id, who.c.context_id).limit(1)).first()
    champion = (
        db.session.scalar(select(Champion).where(Champion.user_id == row[0]))
        if row
        else db.session.scalar(select(Champion).limit(1))
    )
    if champion is None:
        return None, None
    try:
        return champion, rendering.render(rule, rendering.context_for(champion.user, rule, row[1] if row else None))
    except Exception as error:  # shown to staff so they can fix the template
        return champion, ("", f"This template does not render for this champion: {error}", "")


@bp.route("/staff/nudges/new", methods=["GET", "POST"])
@bp.route("/staff/nudges/<int:rule_id>", methods=["GET", "POST"])
def rule_edit(rule_id: int | None = None):
    rule = db.get_or_404(NudgeRule, rule_id) if rule_id else None
    form = RuleForm(
        obj=rule,
        data={"days": rule.params.get("days"), "role": rule.params.get("role", "")}
        if rule
        else {
            "enabled": True,
            "period_days": 30,
            "holdout_percent": 10,
            "effect_days": 14,
            "days": 7,
        },
    )
    if form.validate_on_submit():
        rule = services.save_rule(rule, form.data)
        db.session.commit()
        flash(f"The rule “{rule.name}” has been saved.", "success")
        return redirect(url_for("nudges.rule_edit", rule_id=rule.id))
    preview = _sample_preview(rule) if rule else (None, None)
    return render_template(
        "nudges/rule.html",
        form=form,
        rule=rule,
        preview=preview,
        effect=rule_effect(rule) if rule else None,
        audience_size=evaluation.audience_size(rule) if rule else None,
        described=describe(rule.condition, rule.params) if rule else None,
        borough_r=boroughs_below_one() if rule and rule.condition == "role_r_below_one" else None,
    ), 200 if not form.errors else 400


@bp.get("/staff/nudges/messages")
def messages():
    form = MessageFilterForm(request.args)
    form.rule.choices = [("", "All rules")] + [
        (str(r.id), r.name) for r in db.session.scalars(select(NudgeRule).order_by(NudgeRule.name))
    ]
    form.status.choices = [("", "Any status")] + [(s.value, s.value.capitalize()) for s in MessageStatus]
    query = select(NudgeMessage).options(selectinload(NudgeMessage.rule), selectinload(NudgeMessage.user))
    filters = form.applied()
    if "rule" in filters:
        query = query.where(NudgeMessage.rule_id == int(filters["rule"]))
    if "status" in filters:
        query = query.where(NudgeMessage.status == filters["status"])
    page = keyset_page(query, NudgeMessage.id, request.args.get("before", type=db_id))
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("nudges/messages.html", form=form, page=page, args=args)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients post here (RFC 8058 one-click)
def unsubscribe(token: str):
    found = read_unsubscribe(token)
    if found is None:
        return render_template("nudges/unsubscribe_invalid.html"), 400
    user_id, kind = found
    rule = db.session.scalar(select(NudgeRule).where(NudgeRule.key == kind)) if kind != "all" else None
    if kind != "all" and rule is None:
        abort(404)
    # The kind of reminder in the person's words (a rule's name is the staff's own).
    words = CONDITIONS[rule.condition].public_label if rule is not None and rule.condition in CONDITIONS else None
    if request.method == "POST":
        services.unsubscribe(user_id, kind)
        db.session.commit()
        return render_template("nudges/unsubscribed.html", rule=rule, words=words)
    return render_template("nudges/unsubscribe.html", rule=rule, words=words, token=token)


@bp.post("/me/preferences/reminders/<kind>/<any(on, off):choice>")
def nudge_kind_preference(kind: str, choice: str):
    if kind not in KINDS:
        abort(404)
    services.set_kind_preference(current_user.id, kind, choice == "on")
    db.session.commit()
    flash("Your email preferences have been saved.", "success")
    return redirect(url_for("privacy.preferences"))
