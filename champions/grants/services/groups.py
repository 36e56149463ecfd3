"""The applicant's group: its details as typed, matched behind the scenes to the organisations register for staff to
confirm, and the rule of one application per group per round (unless staff allow more).

Applicants never see the register: what they typed is kept on the application, and a match is only proposed to
staff, who confirm it, choose another organisation, or add the group to the register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import false, func, or_, select

from champions.core import audit
from champions.core.places import normalise_postcode
from champions.extensions import db
from champions.grants.models import Application, Round, Status
from champions.grants.services.lifecycle import GrantError
from champions.organisations.models import Organisation, OrganisationType, normalise_org_name
from champions.organisations.services import create_organisation

# What kind of group it is, in the applicant's words, and the register's type each becomes.
GROUP_TYPES: dict[str, tuple[str, OrganisationType]] = {
    "constituted": ("Constituted community group (it has a written constitution)", OrganisationType.GRASSROOTS),
    "informal": ("Informal group (no constitution)", OrganisationType.GRASSROOTS),
    "charity": ("Registered charity, including a CIO", OrganisationType.CHARITY),
    "cic": ("Community interest company (CIC)", OrganisationType.OTHER),
    "company": ("Company limited by guarantee or other social enterprise", OrganisationType.OTHER),
    "faith": ("Faith group", OrganisationType.FAITH),
    "other": ("Other", OrganisationType.OTHER),
}
# A charity number (England and Wales: 6 to 8 digits, perhaps -1; Scotland: SC and 6 digits; Northern Ireland:
# NIC and 6 digits) or a company number (8 digits, or 2 letters and 6 digits, such as SC123456 or NI123456).
GROUP_NUMBER_RE = re.compile(r"^([0-9]{6,8}(-[0-9]{1,2})?|NIC[0-9]{6}|[A-Z]{2}[0-9]{6})$")
CHARITY_NUMBER_RE = re.compile(r"^([0-9]{6,8}(-[0-9]{1,2})?|SC[0-9]{6})$")
ONE_PER_ROUND = (
    "Your group has already sent an application to this round. Each group may send one application to a round; "
    "if you need to send another, ask the programme team"
)
MAX_GROUP_LIMIT = 20


def normalise_number(value: str | None) -> str | None:
    compact = re.sub(r"[\s.]+", "", value or "").upper()
    return compact or None


def number_problem(value: str | None) -> str | None:
    number = normalise_number(value)
    if number and not GROUP_NUMBER_RE.match(number):
        return "Enter a charity number like 1234567 or SC012345, or a company number like 01234567 or SC123456"
    return None


@dataclass
class GroupDetails:
    name: str
    type: str | None = None
    number: str | None = None
    postcode: str | None = None
    website: str | None = None

    @classmethod
    def of(cls, application: Application) -> GroupDetails:
        return cls(
            application.group_name,
            application.group_type,
            application.group_number,
            application.group_postcode,
            application.group_website,
        )


def set_details(application: Application, details: GroupDetails) -> None:
    """Keep the group's details as typed (number and postcode in their usual form)."""
    application.group_name = details.name.strip()
    application.group_normalised_name = normalise_org_name(details.name)
    application.group_type = details.type or None
    application.group_number = normalise_number(details.number)
    application.group_postcode = normalise_postcode(details.postcode) if details.postcode else None
    application.group_website = (details.website or "").strip() or None


def _compact_postcode(column):
    return func.upper(func.replace(column, " ", ""))


def proposed_match(application: Application) -> tuple[Organisation | None, str]:
    """The register's organisation the typed details point to, and why: the same charity or company number,
    else the same name (normalised) and postcode. (None, "") when nothing matches."""
    live = Organisation.merged_into_id.is_(None)
    if application.group_number:
        by_number = db.session.scalar(
            select(Organisation)
            .where(live, func.upper(func.replace(Organisation.charity_number, " ", "")) == application.group_number)
            .order_by(Organisation.id)
            .limit(1)
        )
        if by_number is not None:
            return by_number, "the same charity or company number"
    if application.group_normalised_name and application.group_postcode:
        by_name = db.session.scalar(
            select(Organisation)
            .where(
                live,
                Organisation.normalised_name == application.group_normalised_name,
                _compact_postcode(Organisation.postcode) == application.group_postcode.replace(" ", ""),
            )
            .order_by(Organisation.id)
            .limit(1)
        )
        if by_name is not None:
            return by_name, "the same name and postcode"
    return None, ""


Match = tuple[Organisation | None, str]


def same_group(application: Application, proposed: Match | None = None):
    """The round's other submitted applications from the same group: the same confirmed organisation (or the one
    the details match: ``proposed``, when the caller has already looked it up), the same charity or company number,
    or the same name and postcode. Drafts do not count."""
    keys = []
    organisation_id = application.organisation_id or getattr((proposed or proposed_match(application))[0], "id", None)
    if organisation_id is not None:
        keys.append(Application.organisation_id == organisation_id)
    if application.group_number:
        keys.append(Application.group_number == application.group_number)
    if application.group_normalised_name and application.group_postcode:
        keys.append(
            (Application.group_normalised_name == application.group_normalised_name)
            & (Application.group_postcode == application.group_postcode)
        )
    query = select(Application).where(
        Application.round_id == application.round_id, Application.status != Status.DRAFT.value
    )
    if application.id is not None:
        query = query.where(Application.id != application.id)
    return query.where(or_(*keys)) if keys else query.where(false())


def check_one_per_round(application: Application) -> None:
    """Refuse a second application from the same group in a round, unless staff allowed more for the group there.

    The caller holds the round's row lock (SELECT ... FOR UPDATE; on SQLite the immediate transaction holds the
    database's write lock), so two submissions at the same moment are checked one after the other."""
    others = list(db.session.scalars(same_group(application).order_by(Application.id)))
    if not others:
        return
    allowed = max([1, *(a.group_limit or 1 for a in others), application.group_limit or 1])
    if len(others) + 1 > allowed:
        raise GrantError(ONE_PER_ROUND, "group_name")


def lock_round(round_: Round) -> None:
    db.session.execute(select(Round.id).where(Round.id == round_.id).with_for_update())


def confirm_organisation(application: Application, organisation: Organisation, how: str) -> None:
    """Staff say which register organisation the group is (the proposed match, or another they chose)."""
    if organisation.merged_into_id is not None:
        raise GrantError("That organisation has been merged into another: choose the one it was merged into")
    before = application.organisation_id
    application.organisation = organisation
    audit.record("grant.organisation_confirmed", application, organisation_id=organisation.id, before=before, how=how)
    db.session.flush()


def add_group_to_register(application: Application, by_user_id: int | None) -> Organisation:
    """Staff add the group to the register from the details it gave, and confirm the application is from it."""
    details = GroupDetails.of(application)
    type_ = GROUP_TYPES.get(details.type or "", ("", OrganisationType.GRASSROOTS))[1]
    charity = details.number if details.number and CHARITY_NUMBER_RE.match(details.number) else None
    notes = "Added from a Small Sparks application"
    if details.number and charity is None:
        notes += f"; company number {details.number}"
    organisation = create_organisation(
        details.name,
        type=type_.value,
        borough_codes=[b.code for b in application.boroughs],
        charity_number=charity,
        postcode=details.postcode,
        website=details.website,
        notes=notes,
        by_user_id=by_user_id,
    )
    audit.record("organisation.created", organisation, from_application=application.id)
    confirm_organisation(application, organisation, "added to the register")
    return organisation


def allow_applications(application: Application, number: int) -> None:
    """Staff allow the group up to ``number`` applications in this round (1 restores the rule)."""
    if not 1 <= number <= MAX_GROUP_LIMIT:
        raise GrantError(f"Enter a number from 1 to {MAX_GROUP_LIMIT}", "allowed")
    before = application.group_limit or 1
    application.group_limit = None if number == 1 else number
    audit.record("grant.group_limit_changed", application, before=before, after=number)
    db.session.flush()


def earlier_details(applicant_id: int) -> GroupDetails | None:
    """The details this applicant typed for their newest application from a confirmed group, to fill in again."""
    earlier = db.session.scalar(
        select(Application)
        .where(Application.applicant_id == applicant_id, Application.organisation_id.is_not(None))
        .order_by(Application.id.desc())
        .limit(1)
    )
    return GroupDetails.of(earlier) if earlier is not None and earlier.group_name else None
