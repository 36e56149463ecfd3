"""Every CSV the app writes is safe to open in a spreadsheet: no cell starts a formula.

Data holding formula-like text is seeded into every text column a download shows; then every CSV route found in
``app.url_map`` (rules ending in .csv or .zip, and any GET route that answers with a CSV) is downloaded by a role
allowed to use it, parsed with the csv module, and each cell checked.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import zipfile
from datetime import date

import pytest
from sqlalchemy import update

from champions.core import audit
from champions.core.downloads import FORMULA_STARTS, csv_text, safe_cell
from champions.core.models import Borough
from champions.core.permissions import PUBLIC, Role, access_rules
from champions.core.snapshots import latest_snapshot
from champions.dashboards.tasks import compute_programme_snapshot
from champions.dashboards.views import CSV_TABLES
from champions.evaluation.figures import GROUPINGS
from champions.followups import services as followups
from champions.grants.dashboard import funder_tables, snapshot_kind
from champions.grants.services import awards
from champions.grants.tasks import compute_funder_snapshot
from champions.organisations.models import Organisation
from champions.roster import exporter
from champions.roster.staff_services import RosterFilters
from champions.roster.staff_tasks import run_export
from champions.spread.tasks import compute_spread
from champions.spread.views import CSV_TABLES as SPREAD_TABLES
from tests.conftest import run_task
from tests.core.test_access_matrix import routes, sample_args
from tests.evaluation.samples import a_response
from tests.factories import PASSWORD
from tests.roster.test_import import import_through_pages
from tests.workshops.helpers import make_org, make_workshop

HYPERLINK = '=HYPERLINK("http://x","y")'
EVIL = [HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
# What the app writes as a number may be negative; anything else starting a formula is unsafe.
NUMBER = re.compile(r"-?\d+(\.\d+)?")
CSV_TYPES = ("text/csv", "application/zip")
PREFERENCE = (Role.CHAMPION, Role.STAFF, Role.ADMIN, Role.APPLICANT, Role.REVIEWER, Role.FUNDER)


def unprotected(cell: str) -> bool:
    return cell in EVIL or (cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell))


def protected(cell: str) -> bool:
    return cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS)


def test_safe_cell_quotes_formula_text_and_leaves_numbers():
    assert [safe_cell(v) for v in EVIL] == ["'" + v for v in EVIL]
    assert [safe_cell(v) for v in (-2, -2.5, 0, None, "Plain", "a=b", "")] == [-2, -2.5, 0, None, "Plain", "a=b", ""]
    assert list(csv.reader(io.StringIO(csv_text(["-h"], [[-3, "-3"]])))) == [["'-h"], ["-3", "'-3"]]


# ------------------------------------------------------------------------------------------------- seeded data


def seed(db, make, clients) -> dict:
    """Formula-like text in every text column a CSV shows; returns the ids the download urls need."""
    db.session.execute(update(Borough).where(Borough.code == "bolton").values(name=HYPERLINK))
    champion = make.champion(first_name=HYPERLINK, last_name="-2+3", borough_code="bolton")
    recruit = make.champion(first_name="@SUM(A1)", borough_code="bolton")
    recruit.recruited_by_id = champion.id
    a_response(db, champion)  # their training check answers: the figures name their borough
    make.activity(champion, occurred_on=date(2026, 1, 5), borough_code="bolton", notes=HYPERLINK)
    organisation = make_org(db, "@SUM(A1)")
    make_workshop(db, title="\tTab", venue="\rCR", host=organisation)
    application = make.application(round=make.round(name="+1"), status="approved", title="-2+3")
    db.session.execute(
        update(Organisation).where(Organisation.id == application.organisation_id).values(name=HYPERLINK)
    )
    actor = make.user(role="staff", email="-2+3@example.org")
    audit.record("champion.viewed", champion, actor_id=actor.id)
    db.session.commit()
    rows = f'email,first name,last name,postcode,borough\r\n"{HYPERLINK}",A,B,M1 1AE,Bury\r\n'
    rows += "-1@example.org,@SUM(A1),+1,M1 1AE,Bury\r\n"
    job = import_through_pages(clients[Role.STAFF], rows.encode())
    staff = clients.users[Role.STAFF]
    followups.add_task("champion", champion, followups.TaskData(HYPERLINK, "-2+3", date(2026, 2, 1), staff.id), staff)
    awards.add_payment(application.id, 10_000, date(2026, 3, 1), None, None)  # due: on the payments-due list
    db.session.commit()
    export = exporter.start_export(RosterFilters(), include_special=False, by_user=clients.users[Role.STAFF])
    run_task(run_export, export.id)
    run_task(compute_programme_snapshot)
    run_task(compute_spread)
    fund_id = application.round.fund_id
    run_task(compute_funder_snapshot, fund_id)
    return {"champion": champion, "import": job.id, "export": export.id, "fund": fund_id, "round": application.round_id}


def downloads(seeded: dict) -> dict[str, list[dict]]:
    """Every CSV route, with every variant of it (each table, each report), as url values."""
    fund_tables = funder_tables(latest_snapshot(snapshot_kind(seeded["fund"])).data)
    job = seeded["import"]
    return {
        "accounts.audit_log_csv": [{}],
        "roster.staff_export_download": [{"export_id": seeded["export"]}],
        "roster.staff_import_report": [
            {"job_id": job},
            {"job_id": job, "run": "import"},
            {"job_id": job, "only": "rejected"},
        ],
        "privacy.export_zip": [{}],
        "organisations.organisation_export": [{}],
        "workshops.workshop_export": [{}],
        "workshops.engagement_export": [{}],
        "grants.round_csv": [{"round_id": seeded["round"]}],
        "grants.panel_csv": [{"round_id": seeded["round"]}],
        "grants.payments_due_csv": [{}],
        "grants.threesixty_round_csv": [{"round_id": seeded["round"]}],
        "grants.threesixty_fund_csv": [{"fund_id": seeded["fund"]}],
        "followups.task_export": [{}],
        "grants.funder_csv": [{"fund_id": seeded["fund"], "table": t} for t in fund_tables],
        "dashboards.table_csv": [{"table": t} for t in CSV_TABLES],
        "spread.table_csv": [{"table": t} for t in SPREAD_TABLES],
        "evaluation.staff_figures_csv": [{"grouping": g, "kind": k} for g in GROUPINGS for k in ("scores", "kept")],
    }


# ------------------------------------------------------------------------------------------------- walking routes


class Clients:
    """One signed-in client per role; the champion is the seeded one, whose own data holds formula text."""

    def __init__(self, app, make, champion):
        self.app, self.make, self.champion = app, make, champion
        self._by_role: dict[Role, object] = {}
        self.users: dict[Role, object] = {}

    def __getitem__(self, role: Role):
        if role not in self._by_role:
            client = self.app.test_client()
            user = self.champion.user if role == Role.CHAMPION else self.make.user(role=role.value)
            assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
            self._by_role[role], self.users[role] = client, user
        return self._by_role[role]

    def allowed(self, endpoint: str):
        """A client for the first role the access table lets use ``endpoint``."""
        rule = access_rules()[endpoint]
        return self[Role.ADMIN if rule == PUBLIC else next(r for r in PREFERENCE if r in rule)]


def cells(response) -> dict[str, list[str]]:
    """Every cell of the CSV file(s) in a response, by file name."""
    body = response.get_data()
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            files = {n: archive.read(n) for n in archive.namelist() if n.endswith(".csv")}
    else:
        files = {"": body}
    return {
        name: [c for row in csv.reader(io.StringIO(data.decode(), newline="")) for c in row]
        for name, data in files.items()
    }


def csv_routes_in_the_app(app, db, make, clients, known: dict[str, list[dict]]) -> set[str]:
    """Rules named .csv or .zip, and any GET route whose answer is a CSV or a zip of them."""
    found = {rule.endpoint for rule, _ in routes(app) if rule.rule.endswith((".csv", ".zip"))}
    args = sample_args(db, make) | {endpoint: variants[0] for endpoint, variants in known.items()}
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint == "accounts.logout":
            continue
        response = clients.allowed(rule.endpoint).get(rule.build(args.get(rule.endpoint, {}))[1])
        if response.mimetype in CSV_TYPES:
            found.add(rule.endpoint)
    return found


@pytest.mark.once  # what a cell holds is the CSV writer's doing: the database only stores the text it is given
def test_every_csv_download_neutralises_formula_cells(app, db, make):
    clients = Clients(app, make, None)
    seeded = seed(db, make, clients)
    clients.champion = seeded["champion"]
    adapter = app.url_map.bind("localhost")
    problems, exercised, shown = [], set(), {}
    every = downloads(seeded)
    for endpoint, variants in every.items():
        for values in variants:
            url = adapter.build(endpoint, values)
            response = clients.allowed(endpoint).get(url)
            assert response.status_code == 200 and response.mimetype in CSV_TYPES, (url, response.status_code)
            for name, found in cells(response).items():
                problems += [f"{url} {name}: {c!r}" for c in found if unprotected(c)]
                shown.setdefault(endpoint, []).extend(c for c in found if protected(c))
            exercised.add(endpoint)
    assert problems == []
    assert sorted(e for e in exercised if not shown.get(e)) == [], "seeded formula text reached every download"
    assert HYPERLINK in {c[1:] for c in shown["privacy.export_zip"]}
    assert exercised == csv_routes_in_the_app(app, db, make, clients, every), "a CSV route this test does not download"


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed here")
def test_libreoffice_shows_the_text_not_a_formula(tmp_path):
    source = tmp_path / "names.csv"
    source.write_text(csv_text(["name"], [[HYPERLINK]]))
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "html", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert "HYPERLINK" in (tmp_path / "names.html").read_text() and "href=" not in (tmp_path / "names.html").read_text()
