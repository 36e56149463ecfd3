"""Staff manage the training catalogue: create, edit, order, retire; publish pledge versions."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from champions.training.models import Pledge, TrainingResource

GOOD = {
    "title": "Spotting cancer early",
    "summary": "Ten minutes on the signs",
    "format": "video",
    "url": "https://example.org/video",
    "topic_code": "early_diagnosis",
    "minutes": "10",
    "is_core": "y",
}


@pytest.fixture(autouse=True)
def empty_catalogue(db):
    """Start from an empty catalogue and no pledge (the migration's set is put back after each test)."""
    db.session.execute(delete(TrainingResource))
    db.session.execute(delete(Pledge))
    db.session.commit()


def _titles(db):
    return [r.title for r in db.session.scalars(select(TrainingResource).order_by(TrainingResource.position))]


def test_staff_create_edit_order_and_retire_resources(auth, client, db):
    auth.login_as("staff")
    for title in ("One", "Two", "Three"):
        assert client.post("/staff/training/new", data={**GOOD, "title": title}).status_code == 302
    assert _titles(db) == ["One", "Two", "Three"]
    three = db.session.scalar(select(TrainingResource).where(TrainingResource.title == "Three"))
    client.post(f"/staff/training/{three.id}/move", data={"direction": "up"})
    client.post(f"/staff/training/{three.id}/move", data={"direction": "up"})
    client.post(f"/staff/training/{three.id}/move", data={"direction": "up"})  # already first: stays
    assert _titles(db) == ["Three", "One", "Two"]
    assert (
        client.post(
            f"/staff/training/{three.id}", data={**GOOD, "title": "Three, renamed", "minutes": "15"}
        ).status_code
        == 302
    )
    client.post(f"/staff/training/{three.id}/retire")
    db.session.refresh(three)
    assert three.title == "Three, renamed" and three.minutes == 15 and three.retired_at is not None
    assert "Restore" in client.get("/staff/training").get_data(as_text=True)


def test_bad_resource_input_is_explained_and_nothing_saved(auth, client, db):
    auth.login_as("staff")
    response = client.post("/staff/training/new", data={**GOOD, "title": "", "minutes": "lots", "format": "tiktok"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a title" in page and "Select the format" in page and "Ten minutes on the signs" in page
    assert _titles(db) == []


def test_a_new_pledge_version_is_published_and_old_ones_kept(auth, client, db):
    auth.login_as("staff")
    assert client.post("/staff/training/pledge", data={"version": "2026-11", "text": "I will talk"}).status_code == 302
    assert (
        client.post("/staff/training/pledge", data={"version": "2026-12", "text": "I will listen"}).status_code == 302
    )
    again = client.post("/staff/training/pledge", data={"version": "2026-12", "text": "x"})
    assert again.status_code == 400 and "That version name is taken" in again.get_data(as_text=True)
    assert [p.version for p in db.session.scalars(select(Pledge).order_by(Pledge.id))] == ["2026-11", "2026-12"]
    assert "I will listen" in client.get("/staff/training/pledge").get_data(as_text=True)
