"""Bad answers to the check are refused with a message by the field and change nothing; a champion sees only
their own answers; staff write the questions in versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from champions.evaluation import services
from champions.evaluation.models import CheckVersion, Kind, Response
from tests.evaluation.helpers import answers, finish_core
from tests.evaluation.samples import a_response


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def _first_question() -> str:
    return f"q{services.current_version().questions[0].id}"


def test_answering_the_same_point_twice_is_refused_by_the_field_and_changes_nothing(client, auth, db):
    auth.login_as("champion")
    assert client.post("/me/training-check/before", data=answers(right=1)).status_code == 302
    again = client.post("/me/training-check/before", data=answers(right=4))
    page = again.get_data(as_text=True)
    assert again.status_code == 400 and "Each check is answered once" in page
    assert f'id="{_first_question()}-error"' in page and "There is a problem" in page
    assert _count(db) == 1 and db.session.scalar(select(Response.knowledge_right)) == 1


def test_the_same_point_stored_twice_at_once_is_refused_by_the_database(auth, db):
    user = auth.login_as("champion")
    version = services.current_version()
    given = {q.id: (q.correct if q.kind == "knowledge" else 3) for q in version.questions}
    services.answer(user.champion, version, services.Point.BEFORE, given)
    db.session.commit()
    a_response(db, user.champion, "after")  # "after" stored by another request meanwhile
    db.session.commit()
    with pytest.raises(services.NotNow, match="answered this check"):
        services.answer(user.champion, version, services.Point.BEFORE, given)
    assert _count(db) == 2


def test_the_before_check_goes_once_the_training_has_started(client, auth, db):
    auth.login_as("champion")
    resource = services.current_version()  # noqa: F841  (the version exists out of the box)
    from tests.evaluation.helpers import core_resources

    client.post(f"/me/training/{core_resources(db)[0].id}", data={"reflection": ""})
    refused = client.post("/me/training-check/before", data=answers())
    assert refused.status_code == 400 and "you have started it" in refused.get_data(as_text=True)
    assert "you have started it" in client.get("/me/training-check/before").get_data(as_text=True)
    assert _count(db) == 0


@pytest.mark.parametrize("point", ["after", "later"])
def test_after_and_later_need_the_core_training_finished(client, auth, db, point):
    auth.login_as("champion")
    refused = client.post(f"/me/training-check/{point}", data=answers())
    assert refused.status_code == 400
    assert "once you have finished the core training" in refused.get_data(as_text=True) and _count(db) == 0


def test_every_question_needs_an_answer(client, auth, db):
    auth.login_as("champion")
    form = answers()
    missing = next(name for name in form if name != _first_question())
    del form[missing]
    refused = client.post("/me/training-check/before", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and f'id="{missing}-error"' in page and _count(db) == 0
    assert "Choose an answer to this question" in page or "Choose how confident you feel" in page


@pytest.mark.parametrize(
    "value, message",
    [
        ("a\x00b", "Choose an answer to this question"),
        ("x" * 100_000, "Choose an answer to this question"),
        ("7", "Choose an answer to this question"),
        ("-1", "Choose an answer to this question"),
        ("100000000000000000000000", "Choose an answer to this question"),
        ("\u202eevil \U0001f389", "Choose an answer to this question"),
    ],
)
def test_hostile_values_get_a_message_by_the_field(client, auth, db, value, message):
    auth.login_as("champion")
    name = _first_question()
    refused = client.post("/me/training-check/before", data=answers(**{name: value}))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in page and f'id="{name}-error"' in page
    assert _count(db) == 0


def test_a_confidence_out_of_the_scale_is_refused(client, auth, db):
    auth.login_as("champion")
    version = services.current_version()
    name = f"q{version.of_kind(Kind.CONFIDENCE)[0].id}"
    for value in ("0", "6", "3.5"):
        refused = client.post("/me/training-check/before", data=answers(**{name: value}))
        assert refused.status_code == 400 and "Choose how confident you feel, from 1 to 5" in refused.get_data(
            as_text=True
        )
    assert _count(db) == 0


def test_a_champion_sees_only_their_own_answers(client, auth, db, make):
    someone = make.champion()
    theirs = a_response(db, someone)
    db.session.commit()
    auth.login_as("champion")
    assert client.get(f"/me/training-check/answers/{theirs.id}").status_code == 404
    assert client.post(f"/me/training-check/answers/{theirs.id}").status_code in (404, 405)
    assert client.post("/me/training-check/before", data=answers(right=3)).status_code == 302
    mine = db.session.scalar(select(Response).where(Response.champion_id != someone.id))
    page = client.get(f"/me/training-check/answers/{mine.id}").get_data(as_text=True)
    assert "3 of 4 questions right" in page and "(right)" in page
    results = client.get("/me/training-check").get_data(as_text=True)
    assert (
        f"/me/training-check/answers/{theirs.id}" not in results and f"/me/training-check/answers/{mine.id}" in results
    )


def test_an_unknown_point_is_not_found(client, auth):
    auth.login_as("champion")
    assert client.get("/me/training-check/sometime").status_code == 404


# ------------------------------------------------------------------------------------------------ staff: versions


def _questions_form(**changes: str) -> dict[str, str]:
    form = {
        "k1_text": "Which is a cancer screening programme?",
        "k1_option1": "Bowel screening",
        "k1_option2": "Eye test",
        "k1_correct": "1",
        "c1_text": "I feel confident talking about screening",
    }
    return {**form, **changes}


def test_an_unanswered_version_is_changed_in_place_and_an_answered_one_makes_a_new_version(client, auth, db):
    auth.login_as("staff")
    page = client.get("/staff/evaluation/questions/edit").get_data(as_text=True)
    assert "Which of these is the biggest preventable cause of cancer in the UK?" in page  # the seeded version
    assert client.post("/staff/evaluation/questions/edit", data=_questions_form()).status_code == 302
    versions = list(db.session.scalars(select(CheckVersion)))
    assert len(versions) == 1 and [q.text for q in versions[0].questions][0] == "Which is a cancer screening programme?"

    champion = auth.make.champion()
    version = services.current_version()
    services.answer(
        champion, version, services.Point.BEFORE, {q.id: 0 if q.kind == "knowledge" else 4 for q in version.questions}
    )
    db.session.commit()
    changed = _questions_form(k1_text="Which of these is a screening programme?")
    assert client.post("/staff/evaluation/questions/edit", data=changed).status_code == 302
    db.session.expire_all()
    numbers = {v.number: [q.text for q in v.questions][0] for v in db.session.scalars(select(CheckVersion))}
    assert numbers == {1: "Which is a cancer screening programme?", 2: "Which of these is a screening programme?"}
    assert services.current_version().number == 2  # champions answer the newest
    listing = client.get("/staff/evaluation/questions").get_data(as_text=True)
    assert "Version 2 (current)" in listing and "answered 1 time." in listing


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"k1_correct": "3"}, "k1_correct", "Option 3 is empty"),
        ({"k1_correct": ""}, "k1_correct", "Give the number of the right option"),
        ({"k1_option2": ""}, "k1_option2", "Give at least 2 options"),
        ({"k1_option2": "bowel SCREENING"}, "k1_option2", "Option 2 is the same as option 1"),
        ({"k1_option1": "", "k1_option2": ""}, "k1_option1", "Give the options, at least 2"),
        ({"k1_text": "", "k1_option1": "", "k1_option2": "", "k1_correct": ""}, "k1_text", "Write at least one"),
        ({"k2_option1": "a", "k2_option2": "b", "k2_correct": "1"}, "k2_text", "Write the question, or clear its"),
        ({"c1_text": ""}, "c1_text", "Write at least one confidence statement"),
        ({"k1_text": "a\x00b"}, "k1_text", "control characters"),
        ({"k1_text": "x" * 100_000}, "k1_text", "300 characters or fewer"),
        ({"k1_option1": "x" * 121}, "k1_option1", "120 characters or fewer"),
        ({"k1_correct": "-1"}, "k1_correct", "Enter a number from 1 to 5"),
        ({"k1_correct": "100000000000000000000000"}, "k1_correct", "Enter a number from 1 to 5"),
        ({"k1_correct": "\u202eevil"}, "k1_correct", "Enter a number from 1 to 5"),
        ({"k1_correct": "\u0661"}, "k1_correct", "Type the number with the digits 0 to 9"),  # Arabic-Indic 1
    ],
)
def test_bad_questions_are_refused_by_the_field(client, auth, db, changes, field, message):
    auth.login_as("staff")
    before = [(q.id, q.text) for q in services.current_version().questions]
    refused = client.post("/staff/evaluation/questions/edit", data=_questions_form(**changes))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in page and f'id="{field}-error"' in page, page[:3000]
    db.session.expire_all()
    assert [(q.id, q.text) for q in services.current_version().questions] == before


def test_finish_core_helper_moves_a_champion_to_trained(client, auth, db):
    user = auth.login_as("champion")
    finish_core(client, db)
    assert services.finished_at(user.champion) is not None


def test_options_left_empty_between_others_keep_the_right_one(client, auth, db):
    auth.login_as("staff")
    form = _questions_form(k1_option1="Eye test", k1_option2="", k1_option3="Bowel screening", k1_correct="3")
    assert client.post("/staff/evaluation/questions/edit", data=form).status_code == 302
    question = services.current_version().questions[0]
    assert (question.options, question.correct) == (["Eye test", "Bowel screening"], 1)


def test_results_say_when_the_questions_changed_between_checks(client, auth, db):
    auth.login_as("champion")
    assert client.post("/me/training-check/before", data=answers(right=2)).status_code == 302
    note = "The questions were changed between your checks"
    assert note not in client.get("/me/training-check").get_data(as_text=True)
    services.save_questions(services.drafts_of(services.current_version())[1:])  # a new version, one question fewer
    db.session.commit()
    finish_core(client, db)
    version = services.current_version()
    given = {f"q{q.id}": "1" if q.kind == Kind.KNOWLEDGE.value else "3" for q in version.questions}
    assert client.post("/me/training-check/after", data=given).status_code == 302
    assert note in client.get("/me/training-check").get_data(as_text=True)
