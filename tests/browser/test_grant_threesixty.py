"""360Giving downloads in a real browser: staff download a round's awards from its page, a funder their fund's from
the dashboard; each file is valid 360Giving, and the pages pass axe and fit a 320 px phone."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.browser.conftest import sign_in
from tests.grants.test_threesixty import errors

pytestmark = pytest.mark.browser


def _download(page, link: str) -> str:
    with page.expect_download() as info:
        page.get_by_role("link", name=link).click()
    return open(info.value.path(), encoding="utf-8").read()


def test_staff_and_the_funder_download_the_awards_as_360giving(pages, phone, make, db):
    funder, staff = make.user(role="funder"), make.user(role="staff")
    fund = make.fund(funders=[funder])
    award = make.application(round=make.round(fund=fund, name="Spring round"), status="paid_full")
    round_id, fund_id, award_id, contact = award.round_id, fund.id, award.id, award.contact_email
    db.session.commit()

    sign_in(pages, staff)
    pages.goto(f"/grants/staff/rounds/{round_id}")
    pages.check()
    page = pages.page
    package = json.loads(_download(page, "Download this round's awarded grants as 360Giving JSON"))
    assert errors(package) == [] and [g["id"] for g in package["grants"]] == [f"360G-champions-{award_id}"]
    flat = _download(page, "Download this round's awarded grants as a 360Giving spreadsheet (CSV)")
    header, row = list(csv.reader(io.StringIO(flat)))
    assert header[0] == "Identifier" and row[0] == f"360G-champions-{award_id}" and contact not in flat

    sign_in(pages, funder)
    pages.goto(f"/grants/funder/funds/{fund_id}")
    pages.check()
    package = json.loads(_download(page, "Download the fund's awarded grants as 360Giving JSON"))
    assert errors(package) == [] and len(package["grants"]) == 1
    pages.shot("grants-360giving-funder")

    phone.page.context.add_cookies(page.context.cookies())
    phone.goto(f"/grants/funder/funds/{fund_id}")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the dashboard scrolls sideways at 320 px ({width} px)"
