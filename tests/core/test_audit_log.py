"""The audit log page: filters by who, action, target and dates; logins, exports and stage changes appear."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from champions.core import audit
from champions.core.models import AuditEvent


def actions(response) -> set[str]:
    return set(re.findall(r"Action </span>([^<]+)</td>", response.get_data(as_text=True)))


def test_the_audit_log_filters_by_who_action_target_and_dates(auth, client, make, db):
    champion = make.champion()
    staff = auth.login_as("staff")
    client.post(f"/staff/champions/{champion.id}/stage", data={"stage": "lapsed", "reason": "No reply"})
    db.session.add(AuditEvent(action="old.thing", at=datetime(2020, 1, 1, tzinfo=UTC), details={"fields": ["név"]}))
    db.session.commit()
    client.post("/logout")
    auth.login_as("admin")
    assert actions(client.get(f"/admin/audit?who={staff.email}")) == {"champion.stage_changed", "login"}
    assert actions(client.get("/admin/audit?action=champion.")) == {"champion.stage_changed"}
    assert actions(client.get(f"/admin/audit?target_type=Champion&target_id={champion.id}")) == {
        "champion.stage_changed"
    }
    assert actions(client.get("/admin/audit?start=2019-12-31&end=2020-01-01")) == {"old.thing"}
    # 00:30 on 2 July in the UK is 23:30 UTC on 1 July: the log shows it on 2 July, and its dates are UK dates.
    db.session.add(AuditEvent(action="summer.night", at=datetime(2020, 7, 1, 23, 30, tzinfo=UTC)))
    db.session.commit()
    assert actions(client.get("/admin/audit?start=2020-07-02&end=2020-07-02")) == {"summer.night"}
    assert actions(client.get("/admin/audit?start=2020-07-01&end=2020-07-01")) == set()
    bad = client.get("/admin/audit?start=yesterday")
    assert bad.status_code == 400 and "Enter a real date" in bad.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv?action=summer").get_data(as_text=True))))
    assert [r["at"] for r in rows] == ["2020-07-01T23:30:00+00:00"]  # UTC, and saying so, whatever the database
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv?action=old").get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["old.thing"]
    assert json.loads(rows[0]["details"]) == {"fields": ["név"]}  # JSON, as the page shows it, not Python's repr


def test_staff_cannot_read_the_audit_log(auth, client):
    auth.login_as("staff")
    assert client.get("/admin/audit").status_code == 403
    assert audit  # the module the page reads from
