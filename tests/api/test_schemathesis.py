"""The OpenAPI document passes openapi-spec-validator, and schemathesis, run in-process against the app with a
staff token and a champion token, finds no server error, no answer that breaks its own schema and no status code
the document does not declare. Small and seeded (derandomized), so it is quick and the same on every run."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from champions.core.clock import today_uk
from champions.extensions import db as _db
from tests.api.helpers import bearer, token_for
from tests.conftest import only_on_sqlite

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12


def test_the_document_is_valid_openapi_3_1(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any error
    # What the web server answers itself, before the app, is declared too: a path and query longer than it takes.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "text/html" in operation["responses"]["414"]["content"], (method, path)
            assert set(operation["responses"]["400"]["content"]) == {"application/problem+json", "text/html"}


def _records_of_every_resource(db, make, user) -> None:
    """A record of each resource for the lists to answer with (so their items are checked against the schema),
    some of them the user's own."""
    from champions.dashboards.services import compute_programme_snapshot
    from champions.grants.dashboard import compute_fund_snapshot
    from champions.workshops.services import sign_up
    from tests.workshops.helpers import make_org, make_workshop

    workshop = make_workshop(db, borough="bolton")
    make_org(db, "Schema Group")
    funders = [user] if user.role == "funder" else []
    award = make.application(make.round(make.fund("Schema Fund", funders=funders)), status="approved")
    make.application(applicant=user if user.role == "applicant" else None, status="eligible")
    for champion in (make.champion(borough_code="bolton"), user.champion):
        if champion is not None:
            sign_up(workshop.id, champion.id)
    compute_programme_snapshot()
    compute_fund_snapshot(award.round.fund_id)
    db.session.commit()


@pytest.mark.parametrize("role", ["staff", "champion", "funder", "applicant"])
def test_schemathesis_finds_no_fault(app, db, make, role):
    # The API's code is the same on both databases; on PostgreSQL each generated request costs several times as
    # much, so this runs in the SQLite pass. What PostgreSQL alone refuses (a NUL in text) is refused by the API
    # before the database, tested on both (test_reads.py).
    only_on_sqlite(app)
    user = make.user(role=role)
    other = make.champion()
    make.activity(other, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    if role == "champion":
        make.activity(user.champion, occurred_on=today_uk(), borough_code="bolton", people_reached=1)
    _records_of_every_resource(db, make, user)
    headers = bearer(token_for(db, user))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            _db.session.commit()
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                _db.session.rollback()

        try:
            run()
        except Exception as failure:  # noqa: BLE001  (gathered, so one run reports every operation's faults)
            failures.append(f"{operation.label}: {failure}"[:3000])
    assert failures == []
