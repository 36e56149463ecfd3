"""The follow-up pages as staff use them: the section on each record's page, adding and changing tasks, the owner,
"My tasks" on the home page and its own page, the CSV, and the daily email setting; bad input and forged URLs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from champions.followups.models import Preference, Task
from champions.followups.services import complete_task, set_owner
from champions.organisations.services import create_organisation
from tests.factories import PASSWORD
from tests.followups.helpers import NOW, TODAY, task


@pytest.fixture(autouse=True)
def _now(clock):
    clock.set(NOW)


def form(title="Ring about the stall", due=TODAY + timedelta(days=2), assignee=None, note=""):
    return {
        "title": title,
        "note": note,
        "due_on-day": str(due.day),
        "due_on-month": str(due.month),
        "due_on-year": str(due.year),
        "assignee": str(assignee) if assignee is not None else "",
    }


def tasks(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


def test_staff_add_a_task_on_a_champions_page_and_see_it_there_at_home_and_in_my_tasks(client, auth, db, make):
    me = auth.login_as("staff")
    champion = make.champion(first_name="Amira")
    page = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    assert "Follow-up" in page and "Owner: <strong>nobody</strong>" in page
    new = client.get(f"/staff/followups/champion/{champion.id}/tasks/new").get_data(as_text=True)
    assert f'<option value="{me.id}" selected' in new  # the task goes to whoever adds it when there is no owner
    response = client.post(f"/staff/followups/champion/{champion.id}/tasks/new", data=form(assignee=me.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/staff/champions/{champion.id}#follow-up"
    )
    assert "Ring about the stall" in client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    home = client.get("/staff").get_data(as_text=True)
    assert "My tasks" in home and "Ring about the stall" in home and "You have 1 open task" in home
    mine = client.get("/staff/tasks").get_data(as_text=True)
    assert "Ring about the stall" in mine and champion.full_name in mine


def test_the_home_page_shows_overdue_tasks_first_and_says_how_many(client, auth, db, make):
    me = auth.login_as("staff")
    champion = make.champion()
    task(db, champion, me, title="Next week", due=TODAY + timedelta(days=7))
    task(db, champion, me, title="Long overdue", due=TODAY - timedelta(days=3))
    home = client.get("/staff").get_data(as_text=True)
    assert "2 overdue" not in home and "1 overdue" in home
    assert home.index("Long overdue") < home.index("Next week")


def test_tasks_on_organisations_and_applications_and_their_owner(client, auth, db, make):
    me = auth.login_as("staff")
    org = create_organisation("Oldham Knit and Natter", type="grassroots")
    application = make.application()
    db.session.commit()
    for kind, record_id, url in [
        ("organisation", org.id, f"/staff/organisations/{org.id}"),
        ("application", application.id, f"/grants/staff/applications/{application.id}"),
    ]:
        response = client.post(f"/staff/followups/{kind}/{record_id}/owner", data={"owner": str(me.id)})
        assert response.status_code == 302
        response = client.post(
            f"/staff/followups/{kind}/{record_id}/tasks/new", data=form(f"Chase {kind}", assignee=me.id)
        )
        assert response.status_code == 302
        page = client.get(url).get_data(as_text=True)
        assert f"Owner: <strong>{me.email}</strong>" in page and f"Chase {kind}" in page
    db.session.expire_all()
    assert (org.owner_id, application.owner_id) == (me.id, me.id)


def test_a_new_task_goes_to_the_owner_unless_another_is_chosen(client, auth, db, make):
    me, owner = auth.login_as("staff"), make.user(role="admin")
    champion = make.champion()
    set_owner("champion", [champion.id], owner, me)
    db.session.commit()
    new = client.get(f"/staff/followups/champion/{champion.id}/tasks/new").get_data(as_text=True)
    assert f'<option value="{owner.id}" selected' in new


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Enter what needs doing"),
        ({"title": "x" * 201}, "200 characters or fewer"),
        ({"title": "a\x00b"}, "control characters"),
        ({"note": "n" * 2001}, "2,000 characters or fewer"),
        ({"due_on-day": "31", "due_on-month": "2", "due_on-year": "2026"}, "31 February 2026 is not a real date"),
        ({"due_on-day": "", "due_on-month": "", "due_on-year": ""}, "Enter the date the task is due"),
        ({"due_on-day": "9", "due_on-month": "3", "due_on-year": "2026"}, "today or in the future"),
        ({"due_on-day": "1", "due_on-month": "1", "due_on-year": "2199"}, "within 5 years"),
        ({"due_on-day": "1", "due_on-month": "1", "due_on-year": "99999"}, "Enter the date as numbers"),
        ({"due_on-day": "1", "due_on-month": "1", "due_on-year": "26"}, "4 numbers"),
        ({"assignee": "CHAMPION"}, "Choose a member of staff from the list"),
        ({"assignee": "99999999999999999999"}, "Choose a member of staff from the list"),
        ({"assignee": ""}, "Choose a member of staff from the list"),
    ],
)
def test_bad_input_is_refused_by_its_field_keeping_what_was_typed_and_saving_nothing(
    client, auth, db, make, changes, message
):
    me = auth.login_as("staff")
    champion = make.champion()
    if changes.get("assignee") == "CHAMPION":
        changes = {"assignee": str(champion.user_id)}
    data = {**form(title="Kept as typed", assignee=me.id), **changes}
    response = client.post(f"/staff/followups/champion/{champion.id}/tasks/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "There is a problem" in page
    if "title" not in changes:
        assert 'value="Kept as typed"' in page
    assert tasks(db) == 0


def test_an_edit_keeps_a_due_date_that_has_passed_but_cannot_move_it_into_the_past(client, auth, db, make, clock):
    clock.set(NOW - timedelta(days=3))
    me = make.user(role="staff")
    champion = make.champion()
    added = task(db, champion, me, title="Old", due=TODAY - timedelta(days=2))
    clock.set(NOW)
    auth.client.post("/login", data={"email": me.email, "password": PASSWORD})
    url = f"/staff/followups/champion/{champion.id}/tasks/{added.id}/edit"
    kept = client.post(url, data=form("Still old", due=TODAY - timedelta(days=2), assignee=me.id))
    assert kept.headers["Location"].endswith(f"/staff/champions/{champion.id}#follow-up")
    refused = client.post(url, data=form("Older", due=TODAY - timedelta(days=1), assignee=me.id))
    assert refused.status_code == 400 and "today or in the future" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (added.title, added.due_on) == ("Still old", TODAY - timedelta(days=2))


def test_a_task_is_reached_only_through_its_own_records_url(client, auth, db, make):
    me = auth.login_as("staff")
    mine, other = make.champion(), make.champion()
    org = create_organisation("Salford Lads", type="grassroots")
    db.session.commit()
    added = task(db, mine, me, title="Mine")
    for kind, record_id in [("champion", other.id), ("organisation", org.id), ("application", mine.id)]:
        base = f"/staff/followups/{kind}/{record_id}/tasks/{added.id}"
        assert client.get(f"{base}/edit").status_code == 404
        assert client.post(f"{base}/edit", data=form("Hijacked", assignee=me.id)).status_code == 404
        assert client.post(f"{base}/done").status_code == 404
    assert client.get(f"/staff/followups/champion/{mine.id}/tasks/999999/edit").status_code == 404
    assert client.get(f"/staff/followups/workshop/{mine.id}/tasks/new").status_code == 404
    assert client.get("/staff/followups/champion/999999/tasks/new").status_code == 404
    db.session.expire_all()
    assert (added.title, added.done_at) == ("Mine", None)


@pytest.mark.parametrize("role", ["champion", "applicant", "reviewer", "funder"])
def test_only_staff_see_or_change_tasks(client, auth, db, make, role):
    staff = make.user(role="staff")
    champion = make.champion()
    added = task(db, champion, staff)
    auth.login_as(role)
    assert client.get("/staff/tasks").status_code == 403
    assert client.post(f"/staff/followups/champion/{champion.id}/tasks/{added.id}/done").status_code == 403
    assert client.post(f"/staff/followups/champion/{champion.id}/owner", data={"owner": ""}).status_code == 403
    db.session.expire_all()
    assert added.done_at is None and champion.owner_id is None


def test_done_and_reopen_from_the_record_and_from_my_tasks(client, auth, db, make):
    me = auth.login_as("staff")
    champion = make.champion()
    added = task(db, champion, me, title="Phone")
    base = f"/staff/followups/champion/{champion.id}/tasks/{added.id}"
    response = client.post(f"{base}/done", data={"back": "mine"})
    assert response.headers["Location"].endswith("/staff/tasks")
    assert "Phone" not in client.get("/staff/tasks").get_data(as_text=True)
    assert "Phone" in client.get("/staff/tasks?status=done").get_data(as_text=True)
    response = client.post(f"{base}/reopen")
    assert response.headers["Location"].endswith(f"/staff/champions/{champion.id}#follow-up")
    db.session.expire_all()
    assert added.done_at is None
    # Pressed on the staff home page's list of my tasks: back to the home page.
    home = client.get("/staff").get_data(as_text=True)
    assert 'name="back" value="home"' in home
    response = client.post(f"{base}/done", data={"back": "home"})
    assert response.headers["Location"].endswith("/staff")


def test_the_owner_form_refuses_someone_not_on_its_list(client, auth, db, make):
    me = auth.login_as("staff")
    champion = make.champion()
    url = f"/staff/followups/champion/{champion.id}/owner"
    for value in (str(champion.user_id), "abc", "99999999999999999999", "a\x00"):
        response = client.post(url, data={"owner": value})
        assert response.status_code == 400 and "Choose a member of staff from the list" in response.get_data(
            as_text=True
        )
    assert client.post(url, data={"owner": str(me.id)}).status_code == 302
    assert client.post(url, data={"owner": ""}).status_code == 302
    db.session.expire_all()
    assert champion.owner_id is None


def test_my_tasks_filters_by_person_and_status_and_pages_by_key(client, auth, db, make):
    me, colleague = auth.login_as("staff"), make.user(role="staff")
    champion = make.champion()
    for i in range(55):
        task(db, champion, me, title=f"Mine {i:02}", due=TODAY + timedelta(days=i))
    task(db, champion, me, to=colleague, title="Theirs")
    first = client.get("/staff/tasks").get_data(as_text=True)
    assert "Mine 00" in first and "Mine 49" in first and "Mine 50" not in first and "Theirs" not in first
    assert "after=" in first
    later = client.get(f"/staff/tasks?after={(TODAY + timedelta(days=49)).isoformat()}.50").get_data(as_text=True)
    assert "Mine 50" in later and "Mine 49" not in later
    theirs = client.get(f"/staff/tasks?assignee={colleague.id}").get_data(as_text=True)
    assert "Theirs" in theirs and "Mine 00" not in theirs
    bad = client.get("/staff/tasks?assignee=nobody&status=%00")
    assert bad.status_code == 400 and "Choose someone from the list" in bad.get_data(as_text=True)


def test_the_csv_holds_the_filtered_tasks_with_formulas_guarded(client, auth, db, make):
    me = auth.login_as("staff")
    champion = make.champion(first_name="Zed")
    task(db, champion, me, title='=HYPERLINK("http://evil")', note="+1 note")
    done = task(db, champion, me, title="Done one")
    complete_task(done, champion, me)
    db.session.commit()
    response = client.get("/staff/tasks/export.csv?status=open")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Task", "Due", "Status"]
    assert len(rows) == 2 and rows[1][0].startswith("'=") and rows[1][6] == "'+1 note" and "Zed" in rows[1][5]


def test_the_csvs_added_and_done_dates_are_uk_dates_as_the_page_shows(client, auth, db, make):
    me = auth.login_as("staff")
    late = task(db, make.champion(), me, title="Late one")
    # 23:30 UTC on 1 July is 00:30 on 2 July in the UK: the page says 2 July, and so must the file.
    late.created_at = late.done_at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/tasks/export.csv?status=done").get_data(as_text=True))))
    assert [(r["Task"], r["Added"], r["Done"]) for r in rows] == [("Late one", "2026-07-02", "2026-07-02")]


def test_a_staff_member_turns_their_daily_email_off_and_on(client, auth, db, make):
    me = auth.login_as("staff")
    assert 'value="yes" checked' in client.get("/staff/tasks/email").get_data(as_text=True)
    assert client.post("/staff/tasks/email", data={"daily_digest": "no"}).status_code == 302
    assert db.session.get(Preference, me.id).daily_digest is False
    assert client.post("/staff/tasks/email", data={"daily_digest": "maybe"}).status_code == 400
    assert client.post("/staff/tasks/email", data={"daily_digest": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Preference, me.id).daily_digest is True


def test_looking_at_or_downloading_the_task_list_is_recorded_with_its_filters_not_a_refused_one(client, auth, db, make):
    from champions.core.models import AuditEvent

    me = auth.login_as("staff")
    client.get("/staff/tasks?status=overdue")
    client.get("/staff/tasks/export.csv?assignee=anyone")
    client.get("/staff/tasks?status=nonsense")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("tasks.%")).order_by(AuditEvent.id))
    assert [(e.action, e.actor_id, e.details["filters"]) for e in events] == [
        ("tasks.viewed", me.id, ["assignee", "status"]),
        ("tasks.exported", me.id, ["assignee", "status"]),
    ]
