"""Likely duplicate champions (same normalised email, same name and postcode, same phone) and merging them.

Services flush; the request commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import aliased

from champions.accounts.models import User
from champions.activities.models import Activity
from champions.core import audit
from champions.core.db import now_utc
from champions.extensions import db
from champions.privacy.models import ConsentRecord, EqualityAnswers
from champions.roster.crm_models import ChampionNote
from champions.roster.models import Champion
from champions.training.models import PledgeAcceptance, TrainingCompletion

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def email_key(email: str | None) -> str | None:
    """One key for the ways people write the same address: case, spaces, +tags, Gmail's dots."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_key(phone: str | None) -> str | None:
    """UK numbers as digits with a leading 0: '+44 (0)7700 900123' and '07700900123' match."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("440"):
        digits = digits[2:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if 9 <= len(digits) <= 13 else None


def postcode_key(postcode: str | None) -> str:
    return re.sub(r"\s+", "", postcode or "").upper()


@event.listens_for(Champion, "before_insert")
def _fill_email_key(mapper: object, connection: object, target: Champion) -> None:
    if target.email_key is None:
        email = target.user.email if target.user is not None else None
        if email is None and target.user_id is not None:
            email = connection.scalar(select(User.email).where(User.id == target.user_id))  # type: ignore[attr-defined]
        target.email_key = email_key(email)


# ---------------------------------------------------------------------------------------------- finding pairs


@dataclass
class Pair:
    first: Champion
    second: Champion
    reasons: list[str] = field(default_factory=list)


def _pairs_by(key, reason: str, limit: int) -> list[tuple[int, int, str]]:
    """Pairs of live champions sharing ``key``; one aggregate query per kind of match."""
    a, b = aliased(Champion), aliased(Champion)
    query = (
        select(a.id, b.id)
        .join(b, (key(a) == key(b)) & (a.id < b.id))
        .where(key(a).is_not(None), a.merged_into_id.is_(None), b.merged_into_id.is_(None))
        .order_by(a.id, b.id)
        .limit(limit)
    )
    return [(x, y, reason) for x, y in db.session.execute(query)]


def _name_postcode(c):
    return (
        func.lower(c.first_name) + "|" + func.lower(c.last_name) + "|" + func.upper(func.replace(c.postcode, " ", ""))
    )


def likely_duplicates(limit: int = 200) -> list[Pair]:
    found: dict[tuple[int, int], list[str]] = {}
    for key, reason in (
        (lambda c: c.email_key, "Same email address"),
        (_name_postcode, "Same name and postcode"),
        (lambda c: c.phone, "Same phone number"),
    ):
        for x, y, why in _pairs_by(key, reason, limit):
            found.setdefault((x, y), []).append(why)
    ids = {i for pair in found for i in pair}
    champions = {c.id: c for c in db.session.scalars(select(Champion).where(Champion.id.in_(ids)))}
    return [Pair(champions[x], champions[y], reasons) for (x, y), reasons in sorted(found.items())][:limit]


# ---------------------------------------------------------------------------------------------------- merging


class MergeRefused(Exception):
    """The merge cannot be done; the message says why."""


@dataclass
class MergePlan:
    keep: Champion
    remove: Champion
    moves: dict[str, int]


def _check(keep: Champion, remove: Champion) -> None:
    if keep.id == remove.id:
        raise MergeRefused("A champion cannot be merged with themselves.")
    for champion in (keep, remove):
        if champion.merged_into_id is not None:
            raise MergeRefused(f"{champion.full_name} (#{champion.id}) has already been merged into another record.")


def _count(model, column, value) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(column == value)) or 0


def plan_merge(keep: Champion, remove: Champion) -> MergePlan:
    """What a merge would move, without moving anything (the preview)."""
    _check(keep, remove)
    moves = {
        "activities": _count(Activity, Activity.champion_id, remove.id),
        "training completions": _count(TrainingCompletion, TrainingCompletion.champion_id, remove.id),
        "pledge acceptances": _count(PledgeAcceptance, PledgeAcceptance.champion_id, remove.id),
        "recruits": _count(Champion, Champion.recruited_by_id, remove.id),
        "notes": _count(ChampionNote, ChampionNote.champion_id, remove.id),
        "consent records": _count(ConsentRecord, ConsentRecord.user_id, remove.user_id),
        "topics": len({t.code for t in remove.topics} - {t.code for t in keep.topics}),
    }
    return MergePlan(keep, remove, moves)


def _move_unique(model, keep_id: int, remove_id: int, other_column: str) -> None:
    """Move rows unique per (champion, other): where the kept champion already has one, the older stays."""
    column = getattr(model, other_column)
    taken = select(column).where(model.champion_id == keep_id).scalar_subquery()
    db.session.execute(
        update(model).where(model.champion_id == remove_id, column.not_in(taken)).values(champion_id=keep_id)
    )


def merge(keep: Champion, remove: Champion, by_user_id: int | None) -> MergePlan:
    """Keep one champion; move everything of the other to it; mark the other merged and close its login."""
    plan = plan_merge(keep, remove)
    db.session.execute(update(Activity).where(Activity.champion_id == remove.id).values(champion_id=keep.id))
    _move_unique(TrainingCompletion, keep.id, remove.id, "resource_id")
    _move_unique(PledgeAcceptance, keep.id, remove.id, "pledge_id")
    db.session.execute(
        update(Champion)
        .where(Champion.recruited_by_id == remove.id, Champion.id != keep.id)
        .values(recruited_by_id=keep.id)
    )
    db.session.execute(update(ChampionNote).where(ChampionNote.champion_id == remove.id).values(champion_id=keep.id))
    db.session.execute(
        update(ConsentRecord).where(ConsentRecord.user_id == remove.user_id).values(user_id=keep.user_id)
    )
    if db.session.scalar(select(EqualityAnswers.id).where(EqualityAnswers.user_id == keep.user_id)) is None:
        db.session.execute(
            update(EqualityAnswers).where(EqualityAnswers.user_id == remove.user_id).values(user_id=keep.user_id)
        )
    keep.topics = sorted({*keep.topics, *remove.topics}, key=lambda t: t.name)
    keep.is_leader = keep.is_leader or remove.is_leader
    keep.phone = keep.phone or remove.phone
    if remove.last_activity_on and (keep.last_activity_on is None or remove.last_activity_on > keep.last_activity_on):
        keep.last_activity_on = remove.last_activity_on
    remove.merged_into_id = keep.id
    remove.merged_at = now_utc()
    remove.user.active = False
    remove.user.session_version += 1
    details = {"kept": keep.id, "removed": remove.id, "moved": plan.moves}
    audit.record("champion.merged", keep, actor_id=by_user_id, **details)
    audit.record("champion.merged_away", remove, actor_id=by_user_id, **details)
    db.session.flush()
    db.session.expire_all()
    return plan
