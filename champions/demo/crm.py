"""Demo data for the staff CRM: notes, phone numbers and a few likely duplicates to merge."""

from __future__ import annotations

import random

from sqlalchemy import select

from champions.accounts.models import User
from champions.core.permissions import Role
from champions.extensions import db
from champions.profiles.models import Champion
from champions.roster.models import ChampionNote

NOTES = (
    "Met at the community centre coffee morning; keen to run a stall at the next health fair.",
    "Asked for leaflets in Urdu and Bengali for the mosque open day.",
    "Prefers a phone call to email. Works shifts, best reached on weekday mornings.",
    "Talked to her walking group about bowel screening kits: six asked for more information.",
)


def seed_crm(rng: random.Random) -> str:
    champions = list(db.session.scalars(select(Champion).order_by(Champion.id)))[:-1]  # not the demo login
    staff = db.session.scalar(select(User).where(User.role == Role.STAFF.value))
    for champion in rng.sample(champions, min(40, len(champions))):
        champion.phone = f"07700{rng.randint(900000, 900999)}"
        db.session.add(
            ChampionNote(champion_id=champion.id, author_id=staff.id if staff else None, body=rng.choice(NOTES))
        )
    # A few people who signed up twice with different addresses, as happens after a partner's import.
    pairs = rng.sample(champions, min(6, len(champions)))
    for original, twin in zip(pairs[::2], pairs[1::2], strict=False):
        twin.first_name, twin.last_name = original.first_name, original.last_name
        twin.borough_code, twin.postcode = original.borough_code, original.postcode
        twin.source, twin.source_detail, twin.lawful_basis = "import", "Demo partner list", "legitimate_interests"
    db.session.flush()
    return f"{len(pairs) // 2} likely duplicates"
