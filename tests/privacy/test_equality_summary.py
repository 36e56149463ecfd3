"""Staff's summary of equality answers: labels, small numbers that cannot identify anyone, and every look audited."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from champions.core.db import as_utc
from champions.core.models import AuditEvent
from champions.privacy.services import save_equality_answers


def _rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<th scope="row" class="nhsuk-table__header">([^<]+)</th><td[^>]*>([^<]+)<', page)


def _answer(make, db, answers: list[dict]) -> None:
    for given in answers:
        save_equality_answers(make.user(role="champion").id, given)
    db.session.commit()


def test_one_respondent_shows_none_of_their_answers(auth, client, make, db):
    _answer(make, db, [{"age_band": "75+", "sex": "female", "ethnicity": "white_roma", "disability": "yes_a_lot"}])
    auth.login_as("staff")
    page = client.get("/staff/equality").get_data(as_text=True)
    assert "1 person has answered" in page
    assert page.count("Not shown until at least 10 people have answered.") == 5
    for label in ("75 or over", "Female", "White: Roma", "Yes, limited a lot", "Not answered"):
        assert label not in page
    assert _rows(page) == []


def test_answers_show_as_labels_with_small_ones_together(auth, client, make, db):
    given = (
        [{"sex": "female", "ethnicity": "white_british"}] * 14
        + [{"sex": "male", "ethnicity": "asian_pakistani"}] * 6
        + [{"sex": "male", "ethnicity": "white_irish"}] * 2
        + [{"sex": "prefer_not_to_say", "ethnicity": "black_african"}] * 3
    )
    _answer(make, db, given)
    auth.login_as("staff")
    page = client.get("/staff/equality").get_data(as_text=True)
    rows = _rows(page)
    # Sex: "Prefer not to say" (3) alone would be 25 - 14 - 8; the next smallest, Male, joins it.
    assert ("Female", "14") in rows and ("Other answers", "11") in rows
    assert "Male" not in page and "Prefer not to say" not in page
    # Ethnic group: Irish (2) and African (3) are together 5, which is not small, and neither can be worked out.
    assert ("White: English, Welsh, Scottish, Northern Irish or British", "14") in rows
    assert ("Asian or Asian British: Pakistani", "6") in rows and ("Other answers", "5") in rows
    assert "White: Irish" not in page and "African" not in page and "white_british" not in page
    assert rows.count(("Total", "25")) == 5


def test_every_look_at_the_summary_is_audited(auth, client, make, db, clock):
    at = clock.set(datetime(2027, 3, 4, 10, 30))
    _answer(make, db, [{"sex": "female"}])
    staff = auth.login_as("staff")
    assert client.get("/staff/equality").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "equality.summary_viewed"))
    assert (event.actor_id, event.details, as_utc(event.at)) == (staff.id, {"respondents": 1}, at)
