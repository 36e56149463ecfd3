"""Likely duplicates and merging: a preview first, nothing lost, the audit log, and refusals."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from champions.activities.models import Activity
from champions.core.models import AuditEvent
from champions.privacy.models import ConsentRecord, EqualityAnswers
from champions.privacy.services import record_consent
from champions.roster.crm_models import ChampionNote
from champions.roster.duplicates import email_key, likely_duplicates, phone_key
from champions.roster.models import Champion
from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource


def test_keys_treat_the_same_address_and_number_alike():
    assert email_key(" Jo.Smith+news@GoogleMail.com ") == email_key("josmith@gmail.com") == "josmith@gmail.com"
    assert email_key("jo.smith@example.org") != email_key("josmith@example.org")
    assert phone_key("+44 (0)7700 900123") == phone_key("07700-900-123") == "07700900123"
    assert phone_key("123") is None


def test_the_duplicates_page_lists_pairs_by_email_name_and_postcode_and_phone(auth, client, make, db):
    a = make.champion(email="jo.smith@gmail.com", first_name="Jo", last_name="Smith", postcode="M1 1AE")
    b = make.champion(email="josmith+x@gmail.com", first_name="Joanne", last_name="Smyth", postcode="M2 2BB")
    c = make.champion(first_name="jo", last_name="SMITH", postcode="m1 1ae")
    d, e = make.champion(first_name="Kim"), make.champion(first_name="Lee")
    d.phone = e.phone = "07700900123"
    db.session.commit()
    pairs = {(p.first.id, p.second.id): p.reasons for p in likely_duplicates()}
    assert pairs[(a.id, b.id)] == ["Same email address"]
    assert pairs[(a.id, c.id)] == ["Same name and postcode"]
    assert pairs[(d.id, e.id)] == ["Same phone number"]
    auth.login_as("staff")
    page = client.get("/staff/duplicates").get_data(as_text=True)
    assert "Same phone number" in page and f"/staff/champions/merge?keep={a.id}&amp;remove={b.id}" in page


def _fill(db, champion, resource, pledge, tag):
    db.session.add_all(
        [
            Activity(
                champion_id=champion.id,
                type="conversation",
                occurred_on=date(2026, 1, 2),
                borough_code="bury",
                topic_code="smoking",
                people_reached=3,
            ),
            TrainingCompletion(champion_id=champion.id, resource_id=resource.id),
            PledgeAcceptance(champion_id=champion.id, pledge_id=pledge.id),
            ChampionNote(champion_id=champion.id, body=f"note {tag}"),
        ]
    )
    record_consent(champion.user_id, "email_contact", True, "v1")


def test_merge_is_previewed_then_moves_everything_and_is_audited(auth, client, make, db):
    keep = make.champion(first_name="Keep", topic_codes=["smoking"])
    gone = make.champion(first_name="Gone", topic_codes=["alcohol"])
    recruit = make.champion(first_name="Recruit", recruited_by_id=gone.id)
    shared = TrainingResource(title="Shared", summary="s", format="video", minutes=5)
    only_gone = TrainingResource(title="Only gone", summary="s", format="video", minutes=5)
    pledge = Pledge(version="v1", text="I pledge")
    db.session.add_all([shared, only_gone, pledge])
    db.session.flush()
    _fill(db, keep, shared, pledge, "keep")
    _fill(db, gone, shared, pledge, "gone")
    db.session.add(TrainingCompletion(champion_id=gone.id, resource_id=only_gone.id))
    db.session.add(EqualityAnswers(user_id=gone.user_id, age_band="35-44"))
    gone.phone, gone.is_leader, gone.last_activity_on = "07700900999", True, date(2026, 2, 1)
    db.session.commit()
    auth.login_as("staff")

    preview = client.get(f"/staff/champions/merge?keep={keep.id}&remove={gone.id}")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Merge these records" in text
    assert _count(db, Activity, Activity.champion_id == gone.id) == 1  # a preview changes nothing

    response = client.post(f"/staff/champions/merge?keep={keep.id}&remove={gone.id}")
    assert response.status_code == 302
    db.session.expire_all()
    keep, gone, recruit = (db.session.get(Champion, i) for i in (keep.id, gone.id, recruit.id))
    assert _count(db, Activity, Activity.champion_id == keep.id) == 2
    assert {
        t.resource.title
        for t in db.session.scalars(select(TrainingCompletion).where(TrainingCompletion.champion_id == keep.id))
    } == {"Shared", "Only gone"}
    assert _count(db, TrainingCompletion) == 3  # the duplicate completion stays with the merged-away record
    assert _count(db, PledgeAcceptance, PledgeAcceptance.champion_id == keep.id) == 1
    assert _count(db, ChampionNote, ChampionNote.champion_id == keep.id) == 2
    assert (
        _count(db, ConsentRecord, ConsentRecord.user_id == keep.user_id, ConsentRecord.purpose == "email_contact") == 2
    )
    assert db.session.scalar(select(EqualityAnswers.user_id)) == keep.user_id
    assert recruit.recruited_by_id == keep.id
    assert {t.code for t in keep.topics} == {"smoking", "alcohol"}
    assert keep.is_leader and keep.phone == "07700900999" and keep.last_activity_on == date(2026, 2, 1)
    assert gone.merged_into_id == keep.id and not gone.user.active
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "champion.merged"))
    assert event.details["removed"] == gone.id and event.details["moved"]["activities"] == 1
    assert f"Champion #{gone.id} merged into this record" in client.get(f"/staff/champions/{keep.id}").get_data(
        as_text=True
    )
    # The merged-away record leaves the roster.
    assert f">{gone.first_name} " not in client.get("/staff/champions").get_data(as_text=True)


def test_merging_a_champion_with_themselves_or_an_already_merged_record_is_refused(auth, client, make, db):
    a, b, c = make.champion(), make.champion(), make.champion()
    auth.login_as("staff")
    response = client.post(f"/staff/champions/merge?keep={a.id}&remove={a.id}")
    assert response.status_code == 400 and "cannot be merged with themselves" in response.get_data(as_text=True)
    assert client.post(f"/staff/champions/merge?keep={a.id}&remove={b.id}").status_code == 302
    for keep, remove in ((c.id, b.id), (b.id, c.id)):
        response = client.post(f"/staff/champions/merge?keep={keep}&remove={remove}")
        assert response.status_code == 400 and "already been merged" in response.get_data(as_text=True)
    assert _count(db, AuditEvent, AuditEvent.action == "champion.merged") == 1


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))
