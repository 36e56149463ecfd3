"""The applicant's group on the staff page of an application: the details as typed, the register's proposed match
(or the organisation staff confirmed), the group's other applications in the round, and the forms to act on them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from champions.extensions import db
from champions.grants import forms
from champions.grants.models import Application
from champions.grants.services.groups import GROUP_TYPES, Match, proposed_match, same_group
from champions.organisations.models import Organisation


def _register_choices() -> list[tuple[str, str]]:
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.merged_into_id.is_(None))
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [("", "Choose an organisation"), *((str(i), name) for i, name in organisations)]


def group_forms(
    application: Application, given: dict[str, Any] | None = None, proposed: Match | None = None
) -> dict[str, Any]:
    """The group's two staff forms, with their choices: those ``given`` are the ones a request sent (read from it);
    the others are shown as they stand. ``proposed``: the register's match, when the caller has looked it up."""
    given = given or {}
    match, _ = proposed or proposed_match(application)
    match_form = given.get("group") or forms.GroupMatchForm(prefix="gm", formdata=None)
    match_form.choice.choices = [
        *([("match", f"The proposed match, {match.name}")] if match is not None else []),
        ("other", "Another organisation on the register"),
        ("new", "Add the group to the register, from the details it gave"),
    ]
    match_form.organisation_id.choices = _register_choices()
    limit_form = given.get("group_limit") or forms.GroupLimitForm(
        prefix="gl", formdata=None, data={"allowed": str(application.group_limit or 1)}
    )
    return {"group": match_form, "group_limit": limit_form}


def group_panel(application: Application, proposed: Match | None = None) -> dict[str, Any]:
    proposed = proposed or proposed_match(application)
    match, why = proposed
    return {
        "type": GROUP_TYPES.get(application.group_type or "", ("",))[0],
        "match": match,
        "why": why,
        "others": list(db.session.scalars(same_group(application, proposed).order_by(Application.id))),
    }
