"""An import's report, downloaded: every line of the dry run or of the import, and each download audited as the
reader's (it names people)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from champions.core.models import AuditEvent
from tests.roster.test_import import import_through_pages

FILE = (
    b"email,first name,last name,postcode,borough\r\na@example.org,A,B,M1 1AE,Bury\r\nnot-an-email,C,D,M1 1AE,Bury\r\n"
)


def test_each_report_download_is_audited_with_which_run_it_was(auth, client, db):
    staff = auth.login_as("staff")
    job = import_through_pages(client, FILE)
    check = client.get(f"/staff/imports/{job.id}/report.csv")
    result = client.get(f"/staff/imports/{job.id}/report.csv?run=import&only=rejected")
    assert check.headers["Content-Disposition"].endswith(f'import-{job.id}-check.csv"')
    assert result.headers["Content-Disposition"].endswith(f'import-{job.id}-result.csv"')
    lines = list(csv.reader(io.StringIO(check.get_data(as_text=True))))
    assert lines[0] == ["line", "outcome", "possible duplicate", "email", "why", "warning"]
    rows = [(line[0], line[1], line[3]) for line in lines[1:]]
    assert rows == [("2", "new", "a@example.org"), ("3", "rejected", "not-an-email")]  # the address as typed
    rejected = list(csv.reader(io.StringIO(result.get_data(as_text=True))))[1:]
    assert [line[1] for line in rejected] == ["rejected"]
    downloads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "import.report_downloaded").order_by(AuditEvent.id)
    )
    assert [(e.actor_id, e.target_id, e.details) for e in downloads] == [
        (staff.id, str(job.id), {"dry_run": True}),
        (staff.id, str(job.id), {"dry_run": False}),
    ]
