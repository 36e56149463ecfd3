"""Exports of the roster's current filter: a background job with progress, audited, special category only on purpose."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from champions.core.db import as_utc
from champions.core.models import AuditEvent
from champions.privacy.models import EqualityAnswers
from champions.profiles.models import Champion
from champions.roster.models import ExportJob


def _export(client, query="", **data):
    response = client.post(f"/staff/champions/export{query}", data=data)
    assert response.status_code == 302
    return response.headers["Location"]


def test_staff_export_the_current_filter_and_the_export_is_audited(auth, client, make, db):
    make.champion(first_name="Wendy", borough_code="wigan", email="wendy@example.org")
    make.champion(first_name="Bob", borough_code="bolton")
    auth.login_as("staff")
    job_url = _export(client, "?borough=wigan", include_special="y")  # staff cannot include special category
    page = client.get(job_url).get_data(as_text=True)
    assert "1 champion exported" in page
    status = client.get(job_url + "/status").get_json()
    assert status == {
        "status": "done", "done": 1, "total": 1, "finished": True, "text": "Finished: 1 of 1 rows",
        "result_url": job_url + "/download", "result_text": "Download the CSV file",
    }  # fmt: skip
    download = client.get(job_url + "/download")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [r["email"] for r in rows] == ["wendy@example.org"]
    wendy = db.session.scalar(select(Champion).where(Champion.first_name == "Wendy"))
    assert rows[0]["registered_at"] == as_utc(wendy.created_at).isoformat()
    assert rows[0]["registered_at"].endswith("+00:00")  # UTC, and saying so, whatever the database
    assert "ethnicity" not in rows[0]
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "export.requested" in actions and "export.downloaded" in actions
    assert "special_category.exported" not in actions


def test_special_category_answers_only_when_an_admin_ticks_the_option(auth, client, make, db):
    champion = make.champion(first_name="Ann")
    db.session.add(EqualityAnswers(user_id=champion.user_id, ethnicity="Pakistani"))
    db.session.commit()
    auth.login_as("admin")
    plain = client.get(_export(client) + "/download").get_data(as_text=True)
    assert "Pakistani" not in plain and "ethnicity" not in plain
    special = client.get(_export(client, include_special="y") + "/download").get_data(as_text=True)
    assert "Pakistani" in special
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "special_category.exported"))
    assert event is not None


def test_another_staff_member_cannot_download_someone_elses_export(app, auth, client, make, db):
    make.champion()
    auth.login_as("staff")
    job_url = _export(client)
    other = app.test_client()
    user = make.user(role="staff")
    other.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert other.get(job_url + "/download").status_code == 404


def test_a_large_export_reports_progress_in_batches(app, make, db, monkeypatch):
    from champions.roster import exporter
    from champions.roster.staff_services import RosterFilters
    from champions.roster.staff_tasks import run_export
    from tests.conftest import run_task

    for _ in range(7):
        make.champion()
    admin = make.user(role="admin")
    monkeypatch.setattr(exporter, "BATCH", 3)
    job = exporter.start_export(RosterFilters(), include_special=False, by_user=admin)
    db.session.commit()
    seen = []
    real_build = exporter.build

    def spy(j):
        for done in real_build(j):
            seen.append(done)
            yield done

    monkeypatch.setattr("champions.roster.staff_tasks.build", spy)
    run_task(run_export, job.id)
    job = db.session.get(ExportJob, job.id)
    assert seen == [3, 6, 7, 7] and job.status == "done" and job.content.count("\r\n") == 8
