"""The staff roster: filters, search, sort, key-set pages, the count; one champion's page, notes, stages, leaders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from champions.core.models import AuditEvent
from champions.extensions import db as _db
from champions.profiles.models import Champion, Stage
from champions.roster import staff_services
from champions.training.models import TrainingCompletion, TrainingResource


def names(response) -> list[str]:
    import re

    return re.findall(r'/staff/champions/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_filters_and_search_find_the_right_champions(auth, client, make, db):
    aisha = make.champion(first_name="Aisha", last_name="Begum", borough_code="oldham", postcode="OL1 1AA")
    tom = make.champion(first_name="Tom", last_name="Hughes", borough_code="wigan", postcode="WN1 1AA")
    make.champion(first_name="Sam", last_name="Okafor", borough_code="wigan", postcode="WN2 2BB")
    tom.is_leader = True
    tom.last_activity_on = date(2026, 10, 1)
    aisha.stage = Stage.ACTIVE.value
    db.session.commit()
    auth.login_as("staff")
    assert names(client.get("/staff/champions?borough=wigan")) == ["Sam Okafor", "Tom Hughes"]
    assert names(client.get("/staff/champions?leader=yes")) == ["Tom Hughes"]
    assert names(client.get("/staff/champions?stage=active")) == ["Aisha Begum"]
    assert names(client.get("/staff/champions?q=ol1 1a")) == ["Aisha Begum"]  # postcode, any spacing
    assert names(client.get(f"/staff/champions?q={aisha.user.email.upper()}")) == ["Aisha Begum"]
    assert names(client.get("/staff/champions?q=tom hug")) == ["Tom Hughes"]
    assert names(client.get("/staff/champions?active_after=2026-09-01")) == ["Tom Hughes"]
    assert names(client.get("/staff/champions?active_before=2026-09-01")) == []
    page = client.get("/staff/champions?borough=wigan").get_data(as_text=True)
    assert "2 champions match" in page


def test_the_organisation_filter_takes_part_of_a_name_or_one_organisation(auth, client, make, db):
    """At national scale the register holds tens of thousands of organisations: the filter takes part of a name
    (every organisation whose name has it, in any case, its own "%" meaning itself) rather than listing them all;
    one organisation chosen by id (a saved search) is named, and can be taken off the filters."""
    from champions.organisations.services import create_organisation

    macmillan, age_uk, percent = (
        create_organisation(name, type="charity") for name in ("Macmillan Bolton", "Age UK Wigan", "100% Cotton")
    )
    for first, org in (("Mac", macmillan), ("Ada", age_uk), ("Per", percent), ("Non", None)):
        champion = make.champion(first_name=first, last_name="Heard")
        champion.heard_via_organisation_id = org.id if org else None
    db.session.commit()
    auth.login_as("staff")
    assert names(client.get("/staff/champions?organisation_name=MACMILLAN")) == ["Mac Heard"]
    assert sorted(names(client.get("/staff/champions?organisation_name=o"))) == ["Mac Heard", "Per Heard"]
    assert names(client.get("/staff/champions?organisation_name=0%25")) == ["Per Heard"]
    assert names(client.get("/staff/champions?organisation_name=nowhere")) == []
    chosen = client.get(f"/staff/champions?organisation={age_uk.id}&stage=registered")
    assert names(chosen) == ["Ada Heard"]
    page = chosen.get_data(as_text=True)
    assert "Heard via <strong>Age UK Wigan</strong>" in page
    assert f'<input type="hidden" name="organisation" value="{age_uk.id}">' in page
    assert 'href="/staff/champions?stage=registered&amp;sort=newest">Remove' in page
    gone = client.get("/staff/champions?organisation=987654").get_data(as_text=True)
    assert "Heard via <strong>an organisation no longer on the register</strong>" in gone


def test_recruited_by_registered_dates_topic_and_training_filters(auth, client, make, db):
    recruiter = make.champion(first_name="Rita", last_name="Recruiter")
    recruit = make.champion(
        first_name="Ray", last_name="Recruit", recruited_by_id=recruiter.id, topic_codes=["smoking"]
    )
    recruit.created_at = datetime(2025, 3, 10, tzinfo=UTC)
    db.session.execute(delete(TrainingResource))  # just one core resource, for a clear "trained" filter
    core = TrainingResource(title="Core", summary="s", format="video", minutes=5, is_core=True)
    db.session.add(core)
    db.session.flush()
    db.session.add(TrainingCompletion(champion_id=recruiter.id, resource_id=core.id))
    db.session.commit()
    auth.login_as("staff")
    assert names(client.get(f"/staff/champions?recruited_by={recruiter.referral_code.lower()}")) == ["Ray Recruit"]
    assert names(client.get("/staff/champions?registered_from=2025-03-10&registered_to=2025-03-10")) == ["Ray Recruit"]
    assert names(client.get("/staff/champions?topic=smoking")) == ["Ray Recruit"]
    assert names(client.get("/staff/champions?trained=yes")) == ["Rita Recruiter"]
    assert names(client.get("/staff/champions?trained=no")) == ["Ray Recruit"]


def test_registration_dates_are_uk_dates_as_the_roster_shows_them(auth, client, make, db):
    night = make.champion(first_name="Nadia", last_name="Night")
    night.created_at = datetime(2026, 7, 1, 23, 15, tzinfo=UTC)  # 00:15 on 2 July in the UK (summer time)
    winter = make.champion(first_name="Wendy", last_name="Winter")
    winter.created_at = datetime(2026, 1, 1, 23, 15, tzinfo=UTC)  # 23:15 on 1 January in the UK too
    db.session.commit()
    auth.login_as("staff")
    page = client.get("/staff/champions?registered_from=2026-07-02&registered_to=2026-07-02")
    assert names(page) == ["Nadia Night"] and "2 Jul 2026" in page.get_data(as_text=True)
    assert names(client.get("/staff/champions?registered_from=2026-07-01&registered_to=2026-07-01")) == []
    assert names(client.get("/staff/champions?registered_from=2026-01-01&registered_to=2026-01-01")) == ["Wendy Winter"]


def test_a_page_past_the_end_says_so_and_leads_back(auth, client, make, db):
    for n in range(3):
        make.champion(first_name="Last", last_name=f"Page{n}")
    db.session.commit()
    auth.login_as("staff")
    page = client.get("/staff/champions?sort=oldest&after=9999-12-31~1").get_data(as_text=True)
    assert "3 champions match" in page and "No more champions match after this page" in page
    assert "No champions match these filters" not in page and "Back to the first page" in page
    unreadable = client.get("/staff/champions?after=not-a-key")
    assert len(names(unreadable)) == 3  # read as the first page
    assert "Back to the first page" not in unreadable.get_data(as_text=True)


def test_a_key_with_a_time_zone_means_the_same_moment(app, make, db):
    """A key's time is compared as the moment it names: SQLite compares the stored UTC text, so a key written with
    another offset (a hand-made link) must be turned to UTC first, or page 2 repeats or skips rows."""
    base = datetime(2026, 10, 28, 9, 0, tzinfo=UTC)
    for i in range(4):
        c = make.champion(first_name=f"Z{i}", last_name="Zone")
        c.created_at = base + timedelta(hours=i)
    db.session.commit()
    filters = staff_services.parse_filters({"sort": "newest"})
    first = staff_services.roster_page(filters, None, size=2)
    value, _, last_id = first.after.rpartition("~")
    shifted = datetime.fromisoformat(value).astimezone(timezone(timedelta(hours=14))).isoformat()
    assert staff_services.roster_page(filters, f"{shifted}~{last_id}", size=2).items == (
        staff_services.roster_page(filters, first.after, size=2).items
    )
    for extreme in ("0001-01-01T00:00:00+14:00~1", "9999-12-31T23:59:59-14:00~1"):  # out of range in UTC
        assert staff_services.roster_page(filters, extreme, size=2).first


def test_a_bad_date_filter_is_explained_not_a_crash(auth, client):
    auth.login_as("staff")
    response = client.get("/staff/champions?registered_from=31/13/2025")
    assert response.status_code == 400
    assert "Registered from must be a real date" in response.get_data(as_text=True)


def test_key_set_pages_walk_every_champion_once_in_each_sort(app, make, db):
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(23):
        c = make.champion(first_name=f"P{i}", last_name=["Adams", "Brown", "Clark"][i % 3])
        c.created_at = base + timedelta(days=i // 2)  # ties on the sort column: the id breaks them
        c.last_activity_on = date(2026, 1, 1) + timedelta(days=i % 4) if i % 5 else None
    db.session.commit()
    for sort in staff_services.SORTS:
        filters = staff_services.parse_filters({"sort": sort})
        seen, after = [], None
        while True:
            page = staff_services.roster_page(filters, after, size=5)
            seen += [c.id for c in page.items]
            if page.after is None:
                break
            after = page.after
        assert len(seen) == len(set(seen)) == 23, sort
    names_sorted = [
        c.last_name for c in staff_services.roster_page(staff_services.parse_filters({"sort": "name"}), None, 23).items
    ]
    assert names_sorted == sorted(names_sorted)


def test_the_champion_page_shows_one_timeline_of_everything(auth, client, make, db):
    champion = make.champion(first_name="Tia", last_name="Timeline")
    make.activity(champion, occurred_on=date(2026, 5, 1), borough_code="bolton", people_reached=4)
    auth.login_as("staff")
    response = client.post(f"/staff/champions/{champion.id}/notes", data={"body": "Called about the stall"})
    assert response.status_code == 302
    response = client.post(
        f"/staff/champions/{champion.id}/stage", data={"stage": "active", "reason": "Met at the stall"}
    )
    assert response.status_code == 302
    page = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    for text in (
        "Called about the stall",
        "Met at the stall",
        "Conversation",
        "4 people reached",
        "Stage: registered → active",
    ):
        assert text in page
    db.session.refresh(champion)
    assert champion.stage == "active" and champion.history[-1].reason == "Met at the stall"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"champion.note_added", "champion.stage_changed"} <= actions


def test_a_stage_change_without_a_reason_or_an_empty_note_is_refused(auth, client, make, db):
    champion = make.champion()
    auth.login_as("staff")
    response = client.post(f"/staff/champions/{champion.id}/stage", data={"stage": "active", "reason": "  "})
    assert response.status_code == 400 and "Enter the reason for the change" in response.get_data(as_text=True)
    response = client.post(f"/staff/champions/{champion.id}/stage", data={"stage": "boss", "reason": "x"})
    assert response.status_code == 400 and "Select the new stage" in response.get_data(as_text=True)
    response = client.post(f"/staff/champions/{champion.id}/notes", data={"body": ""})
    assert response.status_code == 400 and "Enter the note" in response.get_data(as_text=True)
    db.session.refresh(champion)
    assert champion.stage == "registered" and len(champion.history) == 1


def test_staff_mark_and_unmark_a_leader(auth, client, make, db):
    champion = make.champion()
    auth.login_as("staff")
    client.post(f"/staff/champions/{champion.id}/leader", data={"leader": "yes"})
    db.session.refresh(champion)
    assert champion.is_leader
    assert "Marked as a leader" in client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    client.post(f"/staff/champions/{champion.id}/leader", data={"leader": "no"})
    db.session.refresh(champion)
    assert not champion.is_leader


def test_an_admin_viewing_equality_answers_is_audited_and_staff_cannot(auth, client, make, db):
    champion = make.champion()
    auth.login_as("staff")
    assert client.get(f"/staff/champions/{champion.id}/equality").status_code == 403
    client.post("/logout")
    auth.login_as("admin")
    assert client.get(f"/staff/champions/{champion.id}/equality").status_code == 200
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "special_category.viewed"))
    assert event.target_id == str(champion.id)


def test_unknown_champion_is_404(auth, client):
    auth.login_as("staff")
    assert client.get("/staff/champions/999999").status_code == 404
    assert Champion  # the model the page reads


def test_the_timeline_shows_nudges_sent_and_held_out(auth, client, make, db):
    from champions.nudges.models import NudgeMessage, NudgeRule

    champion = make.champion(first_name="Nia", last_name="Nudged")
    rules = list(db.session.scalars(select(NudgeRule).order_by(NudgeRule.id).limit(2)))
    db.session.add(
        NudgeMessage(
            rule_id=rules[0].id,
            user_id=champion.user_id,
            period=1,
            status="sent",
            sent_at=datetime(2026, 5, 1, tzinfo=UTC),
        )
    )
    db.session.add(NudgeMessage(rule_id=rules[1].id, user_id=champion.user_id, period=1, status="holdout"))
    db.session.commit()
    auth.login_as("staff")
    page = client.get(f"/staff/champions/{champion.id}").get_data(as_text=True)
    assert f"Nudge “{rules[0].name}”: sent" in page
    assert f"Nudge “{rules[1].name}”: held out to measure its effect" in page


def test_the_count_stops_at_its_limit_and_says_more_than(auth, client, make, db, monkeypatch):
    for n in range(4):
        make.champion(first_name="Many", last_name=f"Wigan{n}", borough_code="wigan")
    make.champion(first_name="One", last_name="Oldham", borough_code="oldham")
    monkeypatch.setattr(staff_services, "COUNT_UP_TO", 3)
    auth.login_as("staff")
    page = client.get("/staff/champions?borough=wigan").get_data(as_text=True)
    assert "More than 3 champions match" in page
    assert "Export all that match to CSV" in page and "Continue with all that match" in page
    assert len(names(client.get("/staff/champions?borough=wigan"))) == 4  # the list itself is not cut short
    page = client.get("/staff/champions?borough=oldham").get_data(as_text=True)
    assert "1 champion matches" in page and "Export this champion to CSV" in page
    page = client.get("/staff/champions?borough=wigan&stage=withdrawn").get_data(as_text=True)
    assert "No champions match these filters." in page and "to CSV" not in page  # nothing to export


def test_a_first_page_that_holds_every_match_is_the_count_and_later_pages_count_them_all(app, make, db):
    for n in range(7):
        make.champion(first_name="Paged", last_name=f"Bolton{n}", borough_code="bolton")
    make.champion(first_name="Other", last_name="Bury", borough_code="bury")
    db.session.commit()
    filters = staff_services.parse_filters({"borough": "bolton"})
    whole = staff_services.roster_page(filters, None, size=10)
    assert whole.after is None and staff_services.page_total(filters, whole, up_to=1_000) == 7
    first = staff_services.roster_page(filters, None, size=3)
    later = staff_services.roster_page(filters, first.after, size=3)
    last = staff_services.roster_page(filters, later.after, size=3)
    assert (len(first.items), len(later.items), len(last.items), last.after) == (3, 3, 1, None)
    assert staff_services.page_total(filters, first, up_to=1_000) == 7  # a page with a next one counts them all
    assert staff_services.page_total(filters, last, up_to=1_000) == 7  # so does the last page, not its one row
    assert staff_services.page_total(filters, last, up_to=4) > 4  # still "more than" past the limit
    unreadable = staff_services.roster_page(filters, "not a key", size=10)  # read as the list from its start
    assert staff_services.page_total(filters, unreadable, up_to=1_000) == 7


@pytest.mark.parametrize(
    "q, index",
    [
        ("begu", "ix_champions_last_name_search"),
        ("ais", "ix_champions_first_name_search"),
        ("ol11", "ix_champions_postcode_search"),
        ("isha", "ix_users_email_search"),
        ("sha@exam", "ix_users_email_local_reversed"),
    ],
)
def test_a_search_can_use_the_trigram_indexes(app, db, make, q, index):
    """At a million champions a search that reads every row takes a third of a second; each part of the search
    must be answerable from its index. Reading a whole table or a whole other index is priced out, so the plan
    shows whether each can be."""
    from tests.conftest import only_on_postgres

    only_on_postgres(app)
    make.champion(first_name="Aisha", last_name="Begum", postcode="OL1 1AA")
    query = staff_services.filtered(staff_services.parse_filters(MultiDict({"q": q})))
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        conn.exec_driver_sql("SET LOCAL enable_indexonlyscan = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert index in plan, plan


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "last_activity"])
def test_a_later_page_is_read_from_an_index_in_order_from_its_key(app, db, make, sort):
    """At a million champions, sorting them all for a page took a fifth of a second, and a key that the index could
    not answer as a range made page 1,000 walk the 50,000 rows before it. Each sort's page after a key must be an
    index range read in order: with sorting and whole-table reads priced out, the plan shows whether it can be."""
    from sqlalchemy import event

    from tests.conftest import only_on_postgres

    only_on_postgres(app)
    for i in range(3):
        make.champion(first_name=f"K{i}", last_name=f"Key{i}")
    db.session.commit()
    filters = staff_services.parse_filters({"sort": sort})
    first = staff_services.roster_page(filters, None, size=1)
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        staff_services.roster_page(filters, first.after, size=1)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    assert "Sort" not in plan and "Index Cond: (ROW(" in plan, plan


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "last_activity"])
def test_paging_through_a_search_finds_every_match_once_in_order(db, make, sort):
    """A search is asked in parts (the champion's own columns, the account's email), each finding its own first
    page; every page after the key of the one before still holds each match once, in the list's order."""
    people = []
    for n in range(5):  # found by their names
        people.append(make.champion(first_name="Zedna", last_name=f"Person{n}"))
    for n in range(4):  # found only by their email
        champion = make.champion(first_name="Other", last_name=f"Someone{n}")
        champion.user.email = f"zedna.{n}@example.org"
        people.append(champion)
    both = make.champion(first_name="Zedna", last_name="Both")  # by both: listed once
    both.user.email = "zedna.both@example.org"
    make.champion(first_name="Not", last_name="Found")
    for n, champion in enumerate(people + [both]):
        champion.created_at = datetime(2026, 1, 1 + n % 3, tzinfo=UTC)  # ties, settled by id
        champion.last_activity_on = date(2026, 2, 1 + n % 2) if n % 4 else None
    db.session.commit()
    filters = staff_services.parse_filters(MultiDict({"q": "zedna", "sort": sort}))
    column = staff_services.SORTS[sort][0]
    if sort == "last_activity":
        from sqlalchemy import func

        column = func.coalesce(Champion.last_activity_on, staff_services.NEVER)
    descending = sort in staff_services.DESCENDING
    order = (column.desc(), Champion.id.desc()) if descending else (column.asc(), Champion.id.asc())
    expected = list(
        db.session.scalars(staff_services.filtered(filters).with_only_columns(Champion.id).order_by(*order))
    )
    assert len(expected) == 10
    seen, after = [], None
    while True:
        page = staff_services.roster_page(filters, after, size=3)
        seen += [c.id for c in page.items]
        if not page.after:
            break
        after = page.after
    assert seen == expected
    assert staff_services.count_matches(filters, up_to=1_000) == 10
    assert staff_services.count_matches(filters, up_to=4) > 4  # "more than 4"


def test_a_search_takes_its_text_as_typed_and_finds_a_whole_address(auth, client, make, db):
    """ "_" and "%" in a search are themselves, not wildcards; an address, whole or from the end of its name on, finds
    its owner (on PostgreSQL through the reversed local part's index), and the count agrees with the list."""
    under = make.champion(first_name="Ann", last_name="Lee")
    under.user.email = "ann_lee@example.org"
    other = make.champion(first_name="Bob", last_name="Stone")
    other.user.email = "annxlee@example.org"
    percent = make.champion(first_name="Cat", last_name="Moss")
    percent.user.email = "cat100%moss@example.net"
    make.champion(first_name="Dan", last_name="Moss").user.email = "dan100xmoss@example.net"  # not "100%"
    db.session.commit()
    auth.login_as("staff")
    assert names(client.get("/staff/champions?q=ann_lee")) == ["Ann Lee"]
    assert names(client.get("/staff/champions?q=100%25")) == ["Cat Moss"]
    assert names(client.get("/staff/champions?q=ANN_LEE@EXAMPLE.ORG")) == ["Ann Lee"]
    assert names(client.get("/staff/champions?q=xlee@example")) == ["Bob Stone"]
    assert names(client.get("/staff/champions?q=lee@example.org")) == ["Bob Stone", "Ann Lee"]
    assert names(client.get("/staff/champions?q=100%25moss@example.net")) == ["Cat Moss"]
    assert names(client.get("/staff/champions?q=@example.net")) == ["Dan Moss", "Cat Moss"]
    assert names(client.get("/staff/champions?q=nobody@example.org")) == []
    page = client.get("/staff/champions?q=lee@example.org").get_data(as_text=True)
    assert "2 champions match" in page


def test_a_search_counts_each_match_once_whichever_part_finds_it(db, make):
    """Counted up to a cap, part by part: by name only, by email only, and by both, each once."""
    for n in range(3):
        make.champion(first_name="Quill", last_name=f"Name{n}")
    for n in range(2):
        make.champion(first_name="Other", last_name=f"Mail{n}").user.email = f"quill{n}@example.org"
    make.champion(first_name="Quill", last_name="Both").user.email = "quill.both@example.org"
    make.champion(first_name="Not", last_name="Found")
    db.session.commit()
    for q, found in (("quill", 6), ("quill1@", 1), ("name", 3), ("zzz", 0)):
        filters = staff_services.parse_filters(MultiDict({"q": q}))
        assert staff_services.count_matches(filters) == found, q
        assert staff_services.count_matches(filters, up_to=10) == found, q
    filters = staff_services.parse_filters(MultiDict({"q": "quill"}))
    assert staff_services.count_matches(filters, up_to=3) > 3  # one part alone has more: "more than 3"
    assert staff_services.count_matches(filters, up_to=5) > 5  # only their union has more


def test_a_search_asked_again_and_again_is_still_planned_for_its_own_words(app, db, make):
    """The database driver prepares a statement once it has run five times on a connection, and PostgreSQL then
    plans it once for any values when that plan looks no costlier. A search's plan depends on its words (a
    trigram index for a rare one, the sort's index for a common one); planned for none, searches at 100,000
    champions went from 30 ms to 70 and 95 ms after the tenth on a connection (each roster page commits its audit
    row, so the connection keeps its prepared statements). Every run must be planned for its own values."""
    from sqlalchemy import text

    from tests.conftest import only_on_postgres

    only_on_postgres(app)
    for n in range(3):
        make.champion(first_name="Planned", last_name=f"Person{n}")
    db.session.commit()
    filters = staff_services.parse_filters(MultiDict({"q": "plann"}))
    for _ in range(15):  # on one connection: the session's, until it commits
        page = staff_services.roster_page(filters, None)
    assert len(page.items) == 3
    prepared = db.session.execute(
        text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement ILIKE '%like%'")
    ).all()
    assert prepared, "the driver prepared no search statement: the test could not tell"
    assert all(row.generic_plans == 0 and row.custom_plans >= 10 for row in prepared), prepared
