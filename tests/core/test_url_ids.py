"""An id in a URL too long for an id column is a page not found on every route, never an overflow (a 500)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from champions.core.forms import MAX_INT
from tests.factories import PASSWORD


def int_routes(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
            yield rule


def test_every_route_with_an_id_takes_the_bounded_converter(app):
    plain = [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if isinstance(converter, IntegerConverter) and converter.max != MAX_INT
    ]
    assert plain == []
    assert len(list(int_routes(app))) > 20


@pytest.mark.parametrize("number", [str(MAX_INT + 1), "99999999999999999999", "9" * 400])
def test_an_impossible_id_is_not_found_on_every_route(app, client, make, db, number):
    champion, staff = make.champion(), make.user(role="staff")
    db.session.commit()
    failures = []
    for user in (champion.user, staff):
        client.post("/logout")
        with client.session_transaction() as session:
            session.clear()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        for rule in int_routes(app):
            path = re.sub(r"<int:\w+>", number, rule.rule)
            path = re.sub(r"<[^>]+>", "x", path)  # any other part: a plain word
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                status = client.open(path, method=method).status_code
                if status != 404:
                    failures.append(f"{method} {path}: {status}")
    assert failures == []
