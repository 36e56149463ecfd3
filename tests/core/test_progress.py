"""Long work shows its progress: without JavaScript the page refreshes itself while the job runs, and stops when it is
done; the status route that js/progress.js polls says how far it has got and, at the end, where the result is."""

from __future__ import annotations

from datetime import timedelta

from champions.core.db import now_utc
from champions.dashboards.models import DashboardJob
from champions.roster.importer import upload
from champions.roster.models import ExportJob, ImportJob, JobStatus

REFRESH = '<noscript><meta http-equiv="refresh" content="5"></noscript>'


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_export_refreshes_itself_while_it_runs_and_then_offers_its_file(client, auth, make, db):
    from champions.roster import exporter
    from champions.roster.staff_services import RosterFilters

    make.champion()
    staff = auth.login_as("staff")
    job = exporter.start_export(RosterFilters(), include_special=False, by_user=staff)
    job.status, job.processed_rows, job.total_rows = JobStatus.RUNNING.value, 400, 1_200
    db.session.commit()
    page = _page(client, f"/staff/exports/{job.id}")
    assert REFRESH in page and "400 of 1,200 rows" in page and 'data-progress-url="/staff/exports/' in page
    status = client.get(f"/staff/exports/{job.id}/status").get_json()
    assert (status["finished"], status["text"], status["result_url"]) == (False, "400 of 1,200 rows", None)

    job = db.session.get(ExportJob, job.id)
    job.status, job.processed_rows, job.content = JobStatus.DONE.value, 1_200, "email\r\n"
    db.session.commit()
    page = _page(client, f"/staff/exports/{job.id}")
    assert REFRESH not in page and "Download the CSV file" in page
    status = client.get(f"/staff/exports/{job.id}/status").get_json()
    assert status["finished"] and status["result_url"] == f"/staff/exports/{job.id}/download"


def test_an_import_refreshes_itself_while_its_rows_are_checked(client, auth, db):
    staff = auth.login_as("staff")
    job = upload.create_job(
        "partner.csv", b"Email\r\na@example.org\r\n", source="Partner", lawful_basis="consent", by_user_id=staff.id
    )
    job.status = JobStatus.CHECKING.value
    db.session.commit()
    page = _page(client, f"/staff/imports/{job.id}")
    assert REFRESH in page and "Checking every row" in page and "data-progress-reload" in page
    status = client.get(f"/staff/imports/{job.id}/status").get_json()
    assert not status["finished"] and status["text"] == "0 of 1 rows"

    db.session.get(ImportJob, job.id).status = JobStatus.FAILED.value
    db.session.commit()
    assert REFRESH not in _page(client, f"/staff/imports/{job.id}")
    status = client.get(f"/staff/imports/{job.id}/status").get_json()
    assert status["finished"] and status["text"] == "Stopped before it finished"


def test_a_recompute_refreshes_the_dashboard_until_it_is_done(client, auth, db):
    auth.login_as("staff")
    job = DashboardJob(done_steps=2, total_steps=9)
    db.session.add(job)
    db.session.commit()
    page = _page(client, f"/staff?job={job.id}")
    assert REFRESH in page and "2 of 9 parts done" in page

    job.finished_at = now_utc() + timedelta(seconds=1)
    db.session.commit()
    assert REFRESH not in _page(client, f"/staff?job={job.id}")
    status = client.get(f"/staff/dashboard/jobs/{job.id}").get_json()
    assert status["finished"] and status["result_url"] == "/staff" and status["text"].startswith("Finished")


def test_a_funds_recompute_refreshes_its_dashboard_until_newer_figures_are_in(client, auth, make, db):
    from champions.grants.tasks import compute_funder_snapshot
    from tests.conftest import run_task

    fund = make.fund()
    first = run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    response = client.post(f"/grants/funder/funds/{fund.id}/recompute")
    assert response.headers["Location"].endswith(f"/grants/funder/funds/{fund.id}?after={first}")
    waiting = f"/grants/funder/funds/{fund.id}?after={run_task(compute_funder_snapshot, fund.id)}"
    page = _page(client, waiting)
    assert REFRESH in page and "Waiting for the figures to be computed" in page
    status_url = f"/grants/funder/funds/{fund.id}/recompute/status?after={waiting.rsplit('=', 1)[1]}"
    assert client.get(status_url).get_json()["finished"] is False

    run_task(compute_funder_snapshot, fund.id)
    assert REFRESH not in _page(client, waiting)
    status = client.get(status_url).get_json()
    assert status["finished"] and status["result_url"] == f"/grants/funder/funds/{fund.id}"
    for after in ("abc", "-1", "99999999999", "1e3", "\x00"):
        page = _page(client, f"/grants/funder/funds/{fund.id}?after={after}")
        assert REFRESH not in page and "Recomputing" not in page
