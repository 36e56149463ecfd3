"""Champion profiles and stage changes. Services flush; the request commits."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from champions.core.db import now_utc
from champions.core.errors import Refused
from champions.core.models import Topic
from champions.extensions import db
from champions.profiles.models import Champion, Stage, StageChange

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_referral_code(length: int = 8) -> str:
    """``length`` characters from REFERRAL_ALPHABET, uniformly at random: one draw from the system's generator."""
    number = secrets.randbelow(len(REFERRAL_ALPHABET) ** length)
    characters = []
    for _ in range(length):
        number, digit = divmod(number, len(REFERRAL_ALPHABET))
        characters.append(REFERRAL_ALPHABET[digit])
    return "".join(characters)


def unique_referral_code() -> str:
    while True:
        code = new_referral_code()
        if db.session.scalar(select(Champion.id).where(Champion.referral_code == code)) is None:
            return code


def create_champion(
    user_id: int,
    *,
    first_name: str,
    last_name: str,
    borough_code: str,
    postcode: str,
    topic_codes: list[str] | None = None,
    recruited_by_id: int | None = None,
    when: datetime | None = None,
) -> Champion:
    when = when or now_utc()
    champion = Champion(
        user_id=user_id,
        first_name=first_name,
        last_name=last_name,
        borough_code=borough_code,
        postcode=postcode,
        stage=Stage.REGISTERED.value,
        referral_code=unique_referral_code(),
        recruited_by_id=recruited_by_id,
        created_at=when,
    )
    if topic_codes:
        champion.topics = list(db.session.scalars(select(Topic).where(Topic.code.in_(topic_codes))))
    champion.history.append(
        StageChange(from_stage=None, to_stage=Stage.REGISTERED.value, reason="Signed up", changed_at=when)
    )
    db.session.add(champion)
    db.session.flush()
    return champion


class MergedRecord(Refused):
    """A change to a champion record that was merged into another: that record is read-only."""


def ensure_live(champion: Champion) -> None:
    """Refuse a change to a merged-away record, pointing at the record it was merged into."""
    if champion.merged_into_id is not None:
        raise MergedRecord(
            f"{champion.full_name} (#{champion.id}) was merged into champion #{champion.merged_into_id}, so this "
            f"record can no longer be changed. Make the change on champion #{champion.merged_into_id}."
        )


class NotTakingPart(Refused):
    """A change only a champion taking part may make, asked for by one who has withdrawn."""


def ensure_taking_part(champion: Champion, doing: str) -> None:
    """Refuse ``doing`` (``"log an activity"``) to a champion who has withdrawn, saying how to come back."""
    if champion.withdrawn:
        raise NotTakingPart(
            f"You cannot {doing} while you are withdrawn from the programme. To take part again, "
            "choose Rejoin on your home page: everything you did before comes back with you."
        )


def change_stage(
    champion: Champion, to: Stage, reason: str, by_user_id: int | None = None, when: datetime | None = None
) -> None:
    if champion.stage == to.value:
        return
    champion.history.append(
        StageChange(
            from_stage=champion.stage,
            to_stage=to.value,
            reason=reason,
            changed_by_id=by_user_id,
            changed_at=when or now_utc(),
        )
    )
    champion.stage = to.value
    db.session.flush()


def topic_choices(user, champion) -> list[tuple[str, str]]:
    """The topics a champion cares about, for their data export."""
    if champion is None:
        return []
    names = [topic.name for topic in champion.topics]
    return [("Topics you care about", ", ".join(names) if names else "None chosen")]


def champion_records_of(user_id: int) -> list[tuple[str, str]]:
    """The champion records of an account, as audit targets (``accounts.signals.person_records``)."""
    return [("Champion", str(i)) for i in db.session.scalars(select(Champion.id).where(Champion.user_id == user_id))]


def account_of_champion(number: int) -> int | None:
    """The account of champion ``number`` (``accounts.signals.person_by_number``)."""
    return db.session.scalar(select(Champion.user_id).where(Champion.id == number))
