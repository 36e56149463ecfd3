from __future__ import annotations

from sqlalchemy import select

from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource


def test_the_catalogue_is_seeded_with_a_core_set(db):
    resources = list(db.session.scalars(select(TrainingResource)))
    core = [r for r in resources if r.is_core]
    assert len(resources) >= 8 and len(core) == 4
    assert {r.format for r in resources} == {"elearning", "video", "pdf", "face_to_face"}
    assert all(r.minutes > 0 and r.summary for r in resources)


def test_a_champion_completes_a_resource_with_a_reflection_and_sees_progress(client, auth, db):
    user = auth.login_as("champion")
    resource = db.session.scalar(select(TrainingResource).where(TrainingResource.is_core).limit(1))
    page = client.get("/me/training").get_data(as_text=True)
    assert "You have completed 0 of 4 core resources" in page
    client.post(f"/me/training/{resource.id}", data={"reflection": "I will talk to my sister about screening"})
    done = db.session.scalar(select(TrainingCompletion))
    assert (done.champion_id, done.reflection) == (user.champion.id, "I will talk to my sister about screening")
    assert "You have completed 1 of 4 core resources" in client.get("/me/training").get_data(as_text=True)
    too_long = client.post(f"/me/training/{resource.id}", data={"reflection": "x" * 1001})
    assert too_long.status_code == 400 and "1,000 characters or fewer" in too_long.get_data(as_text=True)


def test_a_retired_resource_cannot_be_completed(client, auth, db):
    from champions.core.db import now_utc

    auth.login_as("champion")
    resource = db.session.scalar(select(TrainingResource).limit(1))
    resource.retired_at = now_utc()
    db.session.commit()
    assert client.get(f"/me/training/{resource.id}").status_code == 404


def test_the_pledge_is_accepted_against_its_version(client, auth, db):
    user = auth.login_as("champion")
    assert client.post("/me/pledge", data={}).status_code == 400  # the box must be ticked
    client.post("/me/pledge", data={"agree": "y"})
    acceptance = db.session.scalar(select(PledgeAcceptance))
    assert acceptance.champion_id == user.champion.id and acceptance.pledge.version == "pledge-v1"
    db.session.add(Pledge(version="pledge-v2", text="A newer pledge."))
    db.session.commit()
    assert "A newer pledge." in client.get("/me/pledge").get_data(as_text=True)  # the newest is shown
