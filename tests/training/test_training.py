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


def test_each_core_resource_has_something_to_read_before_the_form(client, auth, db):
    import re

    auth.login_as("champion")
    core = list(db.session.scalars(select(TrainingResource).where(TrainingResource.is_core)))
    for resource in core:
        assert 200 <= len(re.findall(r"\w+", resource.body or "")) <= 420, resource.title
        page = client.get(f"/me/training/{resource.id}").get_data(as_text=True)
        body = page[page.index('class="app-training-body"') : page.index("Mark as complete")]
        assert "<p>" in body and "<h2" in body and "<form" in page[page.index('class="app-training-body"') :]
        # Links lead to this site's pages, or say they go to another website.
        for href, words in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', body):
            assert href.startswith("/") or words.endswith("(another website)"), (href, words)
    screening = next(r for r in core if r.title == "Screening saves lives")
    assert "50 to 74" in screening.body and "every 3 years" in screening.body and "25 to 64" in screening.body


def test_staff_write_a_body_that_is_shown_as_text_never_as_html(client, auth, db):
    resource = db.session.scalar(select(TrainingResource).where(~TrainingResource.is_core).limit(1))
    auth.login_as("staff")
    form = {
        "title": resource.title,
        "summary": resource.summary,
        "format": resource.format,
        "url": resource.url or "",
        "topic_code": resource.topic_code or "",
        "minutes": str(resource.minutes),
        "body": "## Why it matters\n\nSee <script>alert(1)</script> and [your activities](/me/activities).\n\n"
        "- one\n- two\n\n[a trick](javascript:alert(1))",
    }
    too_long = client.post(f"/staff/training/{resource.id}", data={**form, "body": "x" * 20_001})
    assert too_long.status_code == 400 and "20,000 characters or fewer" in too_long.get_data(as_text=True)
    assert client.post(f"/staff/training/{resource.id}", data=form).status_code == 302
    client.post("/logout")
    auth.login_as("champion")
    page = client.get(f"/me/training/{resource.id}").get_data(as_text=True)
    assert '<h2 class="nhsuk-heading-m">Why it matters</h2>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert '<a href="/me/activities">your activities</a>' in page and 'href="javascript' not in page
    assert "<li>one</li><li>two</li>" in page
    assert page.index("Why it matters") < page.index("Mark as complete")
