"""Outcomes in end-of-grant reports, in the codes champions use: the form (each service ticked, with its numbers,
checked by the field), and the funder dashboard's outcomes and cost per outcome, with small counts hidden so that no
subtraction gives them away."""

from __future__ import annotations

import csv
import html
import io

import pytest
from sqlalchemy import func, select

from champions.core import disclosure
from champions.core.disclosure import FEWER_THAN_SMALL, NOT_SHOWN
from champions.grants.dashboard import SIGNPOSTINGS, fund_figures
from champions.grants.models import GrantReport, GrantReportOutcome
from champions.grants.services.reports import return_report
from champions.grants.tasks import compute_funder_snapshot
from tests.conftest import run_task
from tests.grants.helpers import login


def _report_form(application, **extra) -> dict:
    data = {f"spent_{line.id}": "10" for line in application.budget_lines}
    data |= {"people_reached": "40", "champions_recruited": "3", "activities": "Teas", "outcomes": "Friends made"}
    return data | extra


def test_a_group_reports_who_it_signposted_and_can_change_it_when_sent_back(client, make, db):
    application = make.application(status="paid_full")
    login(client, application.applicant)
    page = client.get(f"/grants/my/{application.id}/report").get_data(as_text=True)
    assert (
        'name="outcome" type="checkbox" value="bowel_screening"' in page and 'name="signposted_bowel_screening"' in page
    )
    data = _report_form(application, outcome=["bowel_screening", "stop_smoking"])
    data |= {"signposted_bowel_screening": "12", "said_bowel_screening": "8", "did_bowel_screening": "3"}
    data |= {"signposted_stop_smoking": "5", "said_stop_smoking": "0", "did_stop_smoking": ""}
    data |= {"signposted_breast_screening": "", "said_breast_screening": ""}  # not ticked, nothing typed: ignored
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    saved = {r.outcome_code: (r.signposted, r.said_would_act, r.did_act) for r in application.report.outcome_counts}
    assert saved == {"bowel_screening": (12, 8, 3), "stop_smoking": (5, 0, None)}
    shown = client.get(f"/grants/my/{application.id}").get_data(as_text=True)
    assert "Bowel cancer screening: 12 signposted, 8 said they would act, 3 did" in shown
    assert "Stop-smoking service: 5 signposted, 0 said they would act</li>" in shown  # did: not known
    return_report(application, "Please check the numbers")
    db.session.commit()
    page = client.get(f"/grants/my/{application.id}/report").get_data(as_text=True)
    assert 'id="signposted-bowel_screening" name="signposted_bowel_screening" type="text" value="12"' in page
    data = _report_form(application, outcome=["bowel_screening"])
    data |= {"signposted_bowel_screening": "14", "said_bowel_screening": "8", "did_bowel_screening": "4"}
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    rows = application.report.outcome_counts
    assert [(r.outcome_code, r.signposted, r.said_would_act, r.did_act) for r in rows] == [
        ("bowel_screening", 14, 8, 4)
    ]


BAD = [
    ("signposted", "1\x002", "Enter a whole number, 0 or more, for ‘Bowel cancer screening’"),
    ("signposted", "9" * 100_000, "Enter a whole number, 0 or more, for ‘Bowel cancer screening’"),
    ("signposted", "-3", "Enter a whole number, 0 or more, for ‘Bowel cancer screening’"),
    ("said", "-1", "Enter a whole number, 0 or more, for ‘Bowel cancer screening’"),
    ("did", "٣", "Enter a whole number, 0 or more, for ‘Bowel cancer screening’"),
    ("signposted", "41", "People signposted to ‘Bowel cancer screening’ cannot be more than the 40 people you reached"),
    ("signposted", "0", "Enter at least 1, or untick ‘Bowel cancer screening’"),
    ("signposted", "", "Enter how many people you signposted to ‘Bowel cancer screening’"),
    ("said", "11", "Those who said they would act cannot be more than the 10 signposted to ‘Bowel cancer screening’"),
    ("did", "7", "Those who went to ‘Bowel cancer screening’ cannot be more than the 6 who said they would"),
]


@pytest.mark.parametrize(("box", "value", "message"), BAD)
def test_bad_counts_get_a_message_by_the_field_and_change_nothing(client, make, db, box, value, message):
    application = make.application(status="paid_full")
    login(client, application.applicant)
    data = _report_form(application, outcome=["bowel_screening"])
    data |= {"signposted_bowel_screening": "10", "said_bowel_screening": "6", "did_bowel_screening": "2"}
    data[f"{box}_bowel_screening"] = value
    response = client.post(f"/grants/my/{application.id}/report", data=data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    # By the box (its error message is tied to it), and in the summary at the top, linking to it.
    assert f'id="{box}-bowel_screening-error"' in page and page.count(message) == 2, page[:3000]
    assert f'href="#{box}-bowel_screening"' in page
    db.session.expire_all()
    assert application.status == "paid_full" and application.report is None
    assert db.session.scalar(select(func.count()).select_from(GrantReportOutcome)) == 0


def test_numbers_for_a_service_not_ticked_are_not_counted(client, make, db):
    """As on a champion's activity form: a service ticked then unticked still posts its numbers when script hides
    them, and unticking is what the group meant."""
    application = make.application(status="paid_full")
    login(client, application.applicant)
    data = _report_form(application, outcome=["gp_symptom"]) | {"signposted_gp_symptom": "3", "said_gp_symptom": "1"}
    data |= {"signposted_hpv_vaccination": "4", "said_hpv_vaccination": "99"}
    assert client.post(f"/grants/my/{application.id}/report", data=data).status_code == 302
    db.session.expire_all()
    assert [(r.outcome_code, r.signposted) for r in application.report.outcome_counts] == [("gp_symptom", 3)]


def test_a_kind_of_outcome_no_longer_offered_is_refused_so_nothing_is_lost(client, make, db):
    """A kind retired while the form was open (or one never on it): the report is not sent without it, since a
    report can be sent only once."""
    application = make.application(status="paid_full")
    login(client, application.applicant)
    data = _report_form(application, outcome=["nonsense"]) | {"signposted_nonsense": "5", "said_nonsense": "5"}
    response = client.post(f"/grants/my/{application.id}/report", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A service you ticked is no longer on the list" in page and 'href="#outcome-bowel_screening"' in page
    db.session.expire_all()
    assert application.report is None


# ---- the funder dashboard --------------------------------------------------------------------------------------

# Six reports, each of 200 people reached and 8 champions on £1,300 paid: (kind, report, signposted, said, did).
REPORTED = [
    ("bowel_screening", 0, 20, 12, 5),
    ("bowel_screening", 1, 15, 8, 3),
    ("breast_screening", 2, 12, 7, None),
    ("stop_smoking", 3, 3, 2, 1),  # three people: must not be shown, nor be worked out
    ("gp_symptom", 4, 9, 6, 2),
    ("gp_symptom", 5, 10, 5, 5),
]


def _fund_with_reports(make, db, reports=6):
    fund = make.fund()
    round_ = make.round(fund=fund)
    applications = [make.application(round=round_, status="reported") for _ in range(reports)]
    for code, i, signposted, said, did in REPORTED:
        if i < reports:
            db.session.add(GrantReportOutcome(report_id=applications[i].report.id, outcome_code=code,
                                              signposted=signposted, said_would_act=said, did_act=did))  # fmt: skip
    make.application(round=round_, status="approved")  # paid nothing, reported nothing: counts in neither side
    db.session.commit()
    return fund, applications


def _sheet(client, fund, table):
    response = client.get(f"/grants/funder/funds/{fund.id}/{table}.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_outcomes_by_kind_and_cost_per_outcome(make, db):
    fund, _ = _fund_with_reports(make, db)
    o = fund_figures(fund.id)["outcomes"]
    assert o["by_kind"] == [
        {"code": "bowel_screening", "name": "Bowel cancer screening", "signposted": 35, "said_would_act": 20,
         "did_act": 8},
        {"code": "breast_screening", "name": "Breast screening", "signposted": 12, "said_would_act": 7, "did_act": 0},
        {"code": "stop_smoking", "name": "Stop-smoking service", "signposted": 3, "said_would_act": 2, "did_act": 1},
        {"code": "gp_symptom", "name": "The GP about a symptom", "signposted": 19, "said_would_act": 11,
         "did_act": 7},
    ]  # fmt: skip
    # £1,300 paid to each of the 6 reporting groups = 780,000p; 69 signposted, 48 champions recruited.
    assert o["signposted"] == 69 and o["paid_to_reporters"] == 780_000
    assert o["cost_per_signposted"] == 11_304  # 780,000 / 69 = 11,304.3
    assert o["cost_per_champion"] == 16_250  # 780,000 / 48


def test_a_kind_of_three_people_is_hidden_with_enough_others_that_no_subtraction_finds_it(client, auth, make, db):
    fund, _ = _fund_with_reports(make, db)
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    header, *rows = _sheet(client, fund, "outcome_kinds")
    assert header == ["Signposted to", "People signposted", "Said they would act", "Did act (where known)"]
    body = {row[0]: row[1:] for row in rows}
    assert body["Stop-smoking service"][0] == FEWER_THAN_SMALL
    assert body["Total"][0] == "69"
    headline = {row[0]: row[1] for row in _sheet(client, fund, "outcomes")[1:]}
    assert headline[SIGNPOSTINGS] == "69" and headline["Cost per signposting"] == "£113.04"
    assert headline["Cost per champion recruited"] == "£162.50"
    # The reader: each column adds up to its total; a cell "fewer than 5" is 1 to 4, one "not shown" 5 or more.
    kinds = [name for name in body if name != "Total"]
    for j in range(3):
        labels = [body[name][j] for name in kinds]
        assert sum(label in (FEWER_THAN_SMALL, NOT_SHOWN) for label in labels) != 1  # never one hidden alone
        cells = tuple((None if label in (FEWER_THAN_SMALL, NOT_SHOWN) else int(label),) for label in labels)
        small = frozenset((i, 0) for i, label in enumerate(labels) if label == FEWER_THAN_SMALL)
        bounds = {(i, 0): disclosure.SMALL_COUNT if (i, 0) in small else disclosure.PROTECTING_COUNT
                  for i, (v,) in enumerate(cells) if v is None}  # fmt: skip
        total = None if body["Total"][j] == NOT_SHOWN else int(body["Total"][j])
        assert disclosure.recover(disclosure.Table(cells, None, (total,), total, small, bounds)) == {}, j
        for label in labels:  # no count from 1 to 4 is shown
            assert label in (FEWER_THAN_SMALL, NOT_SHOWN) or int(label) == 0 or int(label) >= disclosure.SMALL
    assert body["Stop-smoking service"] == [FEWER_THAN_SMALL] * 3
    assert sum(body[name][0] == NOT_SHOWN for name in kinds) >= 1  # another kind hides to protect it
    page = client.get(f"/grants/funder/funds/{fund.id}").get_data(as_text=True)
    assert "Who grantees signposted, and where to" in page and "£113.04" in page


def test_the_outcomes_are_withheld_while_fewer_than_five_groups_have_reported(client, auth, make, db):
    fund, _ = _fund_with_reports(make, db, reports=4)
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    rows = _sheet(client, fund, "outcome_kinds")[1:]
    assert rows == [["Not shown until at least 5 end-of-grant reports have been received."]]
    assert "£" not in str(_sheet(client, fund, "outcomes"))


def test_a_small_total_signposted_hides_its_cost_too(client, auth, make, db):
    fund, applications = _fund_with_reports(make, db)
    db.session.execute(GrantReportOutcome.__table__.delete())
    db.session.add(GrantReportOutcome(report_id=applications[0].report.id, outcome_code="gp_symptom", signposted=2,
                                      said_would_act=1))  # fmt: skip
    db.session.commit()
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    headline = {row[0]: row[1] for row in _sheet(client, fund, "outcomes")[1:]}
    # £7,800 / 2 would give the 2 away.
    assert headline[SIGNPOSTINGS] == FEWER_THAN_SMALL
    assert headline["Cost per signposting"] == NOT_SHOWN
    rows = {row[0]: row[1:] for row in _sheet(client, fund, "outcome_kinds")[1:]}
    assert rows["The GP about a symptom"][0] == FEWER_THAN_SMALL and rows["Total"][0] == NOT_SHOWN


def test_a_report_deleted_takes_its_outcomes_with_it(make, db):
    fund, applications = _fund_with_reports(make, db)
    db.session.delete(db.session.get(GrantReport, applications[0].report.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(GrantReportOutcome)) == len(REPORTED) - 1


def test_fewer_than_five_champions_recruited_hide_the_count_and_its_cost(client, auth, make, db):
    fund, applications = _fund_with_reports(make, db)
    for application in applications:  # 48 champions recruited between them: now 3
        application.report.champions_recruited = 0
    applications[0].report.champions_recruited = 3
    db.session.commit()
    run_task(compute_funder_snapshot, fund.id)
    auth.login_as("staff")
    headline = {row[0]: row[1] for row in _sheet(client, fund, "outcomes")[1:]}
    # £7,800 paid ÷ £2,600 a champion would give the 3 back.
    assert headline["Champions recruited"] == FEWER_THAN_SMALL
    assert headline["Cost per champion recruited"] == NOT_SHOWN
    assert headline["Cost per signposting"] == "£113.04"
