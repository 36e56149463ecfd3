from __future__ import annotations

from sqlalchemy import select

from champions.network.services import recruits_by_degree
from champions.profiles.models import Champion
from tests.factories import PASSWORD


def test_recruits_are_counted_three_degrees_deep_and_only_direct_names_shown(client, db, make):
    me = make.champion(first_name="Root")
    a = make.champion(first_name="Amina", recruited_by_id=me.id)
    b = make.champion(first_name="Bea", recruited_by_id=me.id)
    a1 = make.champion(first_name="Carl", recruited_by_id=a.id)
    make.champion(first_name="Dee", recruited_by_id=a1.id)
    make.champion(first_name="Eve", recruited_by_id=b.id)
    make.champion(first_name="Fourth")  # unrelated
    assert recruits_by_degree(me.id) == [2, 2, 1]
    client.post("/login", data={"email": me.user.email, "password": PASSWORD})
    html = client.get("/me/network").get_data(as_text=True)
    assert "Amina" in html and "Bea" in html
    assert "Carl" not in html and "Dee" not in html and "Eve" not in html


def test_a_referral_link_prefills_the_sign_up_and_records_the_recruiter(client, db, make):
    recruiter = make.champion()
    response = client.get(f"/join/{recruiter.referral_code.lower()}")
    assert response.headers["Location"].endswith(f"/register?ref={recruiter.referral_code}")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{recruiter.referral_code}"' in form
    client.post(
        f"/register?ref={recruiter.referral_code}",
        data={
            "first_name": "New",
            "last_name": "Person",
            "email": "new@example.org",
            "password": "several good words",
            "postcode": "M1 1AE",
            "borough": "manchester",
            "privacy_consent": "y",
            "heard_via": "referral",
            "referral_code": recruiter.referral_code,
        },
    )
    joined = db.session.scalar(select(Champion).where(Champion.first_name == "New"))
    assert joined.recruited_by_id == recruiter.id


def test_an_unknown_referral_code_is_explained(client, db):
    response = client.post(
        "/register",
        data={
            "first_name": "New",
            "last_name": "Person",
            "email": "new@example.org",
            "password": "several good words",
            "postcode": "M1 1AE",
            "borough": "manchester",
            "privacy_consent": "y",
            "heard_via": "referral",
            "referral_code": "NOPE1234",
        },
    )
    assert response.status_code == 400 and "We cannot find that referral code" in response.get_data(as_text=True)


def test_the_qr_code_is_an_svg_of_the_personal_link(client, auth):
    auth.login_as("champion")
    response = client.get("/me/network/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<?xml") and b"<svg" in response.data


def test_referral_codes_use_the_whole_alphabet_and_do_not_repeat():
    from champions.profiles.services import REFERRAL_ALPHABET, new_referral_code

    codes = [new_referral_code(10) for _ in range(2000)]
    assert all(len(code) == 10 and set(code) <= set(REFERRAL_ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    assert set("".join(codes)) == set(REFERRAL_ALPHABET)  # 20,000 characters: every one of the 31 turns up
    assert {code[-1] for code in codes} == set(REFERRAL_ALPHABET)  # the last place too, not only the first


def test_an_erased_recruit_is_shown_as_a_champion_who_has_left(client, db, make):
    from champions.privacy.services import erase

    me = make.champion(first_name="Root")
    make.champion(first_name="Amina", last_name="Khan", recruited_by_id=me.id)
    gone = make.champion(first_name="Bea", last_name="Clarke", recruited_by_id=me.id)
    erase(gone.user)
    db.session.commit()
    client.post("/login", data={"email": me.user.email, "password": PASSWORD})
    html = client.get("/me/network").get_data(as_text=True)
    assert "Amina K," in html and "A champion who has left, joined" in html
    assert "Erased" not in html and "Bea" not in html


def test_three_degrees_of_influence_add_up_the_people_reached_at_each_degree(client, db, make):
    from champions.network.services import people_reached_by_degree

    me = make.champion(first_name="Root")
    a = make.champion(recruited_by_id=me.id)
    b = make.champion(recruited_by_id=me.id)
    a1 = make.champion(recruited_by_id=a.id)
    a2 = make.champion(recruited_by_id=a1.id)
    a3 = make.champion(recruited_by_id=a2.id)  # four steps away: not counted
    stranger = make.champion()
    for champion, reached in ((me, 4), (me, 6), (a, 7), (b, 1), (a1, 20), (a2, 300), (a3, 5000), (stranger, 9)):
        make.activity(champion, people_reached=reached)
    # By hand: mine 4 + 6; my recruits a 7 + b 1; theirs a1 20; and theirs a2 300.
    assert people_reached_by_degree(me.id) == [10, 8, 20, 300]
    client.post("/login", data={"email": me.user.email, "password": PASSWORD})
    html = client.get("/me/network").get_data(as_text=True)
    assert "Three degrees of influence" in html
    assert ">338<" in html.replace("<strong>", "").replace("</strong>", "")  # 10 + 8 + 20 + 300 in all
