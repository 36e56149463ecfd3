from __future__ import annotations

import pytest
from sqlalchemy import func, select

from champions.core.locks import job_lock
from champions.core.models import DashboardSnapshot
from champions.core.snapshots import latest_snapshot
from champions.dashboards.services import PROGRAMME
from champions.dashboards.tasks import compute_programme_snapshot
from champions.profiles.models import Stage
from champions.profiles.services import change_stage
from tests.conftest import run_task


def test_snapshot_counts_champions_by_stage_against_the_target(db, make):
    champions = [make.champion() for _ in range(5)]
    change_stage(champions[0], Stage.VERIFIED, "test")
    change_stage(champions[1], Stage.ACTIVE, "test")
    change_stage(champions[2], Stage.WITHDRAWN, "test")
    db.session.commit()

    snapshot_id = run_task(compute_programme_snapshot)
    data = db.session.get(DashboardSnapshot, snapshot_id).data["headline"]
    assert data["by_stage"] == {"registered": 2, "verified": 1, "trained": 0, "active": 1, "lapsed": 0, "withdrawn": 1}
    assert data["champions"] == 4  # withdrawn champions have left the network
    assert data["target"] == 20_000 and data["percent_of_target"] == 0.0


def test_staff_home_shows_the_latest_snapshot_and_when_it_was_computed(client, auth, db, make):
    auth.login_as("staff")
    empty = client.get("/staff").get_data(as_text=True)
    assert "No figures have been computed yet" in empty
    for _ in range(3):
        make.champion()
    run_task(compute_programme_snapshot)
    html = client.get("/staff").get_data(as_text=True)
    assert '<p class="app-figure">3</p>' in html
    assert "of a target of 20,000" in html
    assert "Figures computed" in html and "less than a minute ago" in html


def test_recompute_now_queues_the_job_after_commit(client, auth, db, make):
    auth.login_as("admin")
    make.champion()
    response = client.post("/staff/recompute", follow_redirects=True)
    assert "being recomputed" in response.get_data(as_text=True)
    assert latest_snapshot(PROGRAMME).data["headline"]["champions"] == 1


def test_overlapping_runs_skip_instead_of_piling_up(db):
    with job_lock("compute_programme_snapshot") as held:
        assert held
        assert run_task(compute_programme_snapshot) is None
    assert db.session.scalar(select(func.count()).select_from(DashboardSnapshot)) == 0
    assert run_task(compute_programme_snapshot) is not None


def test_a_recompute_in_progress_shows_how_far_it_has_got(client, auth, db):
    from champions.dashboards.models import DashboardJob

    auth.login_as("staff")
    job = DashboardJob()
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/staff?job={job.id}").get_data(as_text=True)
    assert "Waiting for the background worker to start" in page
    job.done_steps, job.total_steps = 3, 10
    db.session.commit()
    page = client.get(f"/staff?job={job.id}").get_data(as_text=True)
    assert "3 of 10 parts done" in page and 'value="3"' in page
    assert client.get(f"/staff/dashboard/jobs/{job.id}").get_json() == {
        "done": 3,
        "total": 10,
        "finished": False,
        "error": None,
        "text": "3 of 10 parts done",
        "result_url": None,
        "result_text": "Show the new figures",
    }


def test_every_step_of_a_requested_snapshot_has_room_for_its_aggregates_and_no_connection_keeps_it(
    app, db, monkeypatch
):
    """On PostgreSQL each step runs with the aggregates' work_mem and the server's parallel workers, even after the
    progress commits between steps; it is SET LOCAL, so the pooled connections go back to the app's own settings
    (no parallel workers for a page's query)."""
    from sqlalchemy import text

    from champions.core.db import AGGREGATE_WORK_MEM
    from champions.dashboards import services
    from champions.dashboards.models import DashboardJob
    from tests.conftest import only_on_postgres

    only_on_postgres(app)

    def settings() -> tuple[str, str]:
        return (
            db.session.execute(
                text("SELECT current_setting('work_mem'), current_setting('max_parallel_workers_per_gather')")
            )
            .one()
            ._tuple()
        )

    app_settings = settings()
    server_workers = db.session.scalar(
        text("SELECT reset_val FROM pg_settings WHERE name = 'max_parallel_workers_per_gather'")
    )
    assert app_settings[1] == "0"
    if app_settings[0] == AGGREGATE_WORK_MEM or server_workers == "0":
        pytest.skip("this server's own settings are already the aggregates', so the test could not tell them apart")
    seen = []
    real_figures = services.reach.activity_totals

    def activity_totals():
        seen.append(settings())
        return real_figures()

    monkeypatch.setattr(services.reach, "activity_totals", activity_totals)
    monkeypatch.setattr(services.onboarding, "funnel", lambda: seen.append(settings()))
    job = DashboardJob()
    db.session.add(job)
    db.session.commit()
    assert run_task(compute_programme_snapshot, job.id) is not None
    # The funnel's step, and the activity's after progress commits.
    assert seen == [(AGGREGATE_WORK_MEM, server_workers)] * 2
    assert settings() == app_settings
