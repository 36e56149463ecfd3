"""The roster's sample records for the shared tests (tests/feature_samples.py): its tags."""

from __future__ import annotations

from champions.core.db import now_utc
from champions.roster.bulk import tag_or_new
from champions.roster.models import ChampionNote, champion_tags


def route_args(db, make) -> dict[str, dict]:
    champion = make.champion(first_name="Tagged")
    tag = tag_or_new("Matrix walkers", None)
    db.session.execute(champion_tags.insert().values(champion_id=champion.id, tag_id=tag.id, added_at=now_utc()))
    db.session.commit()
    note = ChampionNote(champion_id=champion.id, body="Met at the market stall")
    db.session.add(note)
    db.session.commit()
    return {
        "roster.staff_edit_note": {"champion_id": champion.id, "note_id": note.id},
        "roster.staff_remove_tag": {"champion_id": champion.id, "tag_id": tag.id},
        "roster.staff_edit_details": {"champion_id": champion.id},  # correcting a champion's details
        # The bulk page with a selection shows its form (a stage change for one champion), so it is fuzzed too.
        "roster.staff_bulk": {"action": "stage", "id": champion.id},
    }


def personal_rows(db, user, champion) -> None:
    tag = tag_or_new("Library stall", None)
    db.session.execute(champion_tags.insert().values(champion_id=champion.id, tag_id=tag.id, added_at=now_utc()))
