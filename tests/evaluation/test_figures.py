"""The staff figures, against numbers worked out here by hand: means with t intervals, the share who kept what they
learnt with Wilson's interval, by cohort and by borough, small groups hidden, and the CSV files."""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import pytest
from sqlalchemy import select

from champions.evaluation import figures
from champions.evaluation.models import Point, Response
from champions.profiles.models import Champion

# Five champions in Bolton who joined in January 2027, and one in Bury who joined in February.
# (knowledge right of 4, confidence) at each point.
BOLTON = [
    {"before": (2, 2.0), "after": (4, 4.0), "later": (3, 4.0)},
    {"before": (1, 3.0), "after": (3, 4.0), "later": (3, 3.0)},
    {"before": (2, 2.0), "after": (4, 5.0), "later": (4, 4.0)},
    {"before": (3, 3.0), "after": (3, 4.0), "later": (2, 3.0)},
    {"before": (2, 4.0), "after": (4, 4.0), "later": (4, 5.0)},
]
BURY = [{"before": (0, 1.0), "after": (2, 3.0)}]


def _seed(db, make):
    for people, borough, joined in (
        (BOLTON, "bolton", datetime(2027, 1, 10, 12)),
        (BURY, "bury", datetime(2027, 2, 3, 12)),
    ):
        for answers in people:
            champion = make.champion(borough_code=borough)
            db.session.get(Champion, champion.id).created_at = joined
            for point, (right, confidence) in answers.items():
                db.session.add(
                    Response(
                        champion_id=champion.id,
                        version_id=1,
                        point=point,
                        knowledge_right=right,
                        knowledge_asked=4,
                        knowledge_score=right / 4,
                        confidence_mean=confidence,
                        answers={},
                    )
                )
    db.session.commit()


def test_t_critical_values_match_the_printed_tables():
    assert figures.t_975(4) == 2.776 and figures.t_975(9) == 2.262
    assert figures.t_975(40) == pytest.approx(2.021, abs=0.001)  # printed table: 2.021
    assert figures.t_975(120) == pytest.approx(1.980, abs=0.001)


def test_the_means_and_their_intervals_are_right(db, make):
    _seed(db, make)
    rows = {r["point"]: r for r in figures.scores("all")}
    # Before, everyone (n = 6): knowledge 50, 25, 50, 75, 50, 0 % -> mean 250/6 = 41.67
    # deviations 8.33, -16.67, 8.33, 33.33, 8.33, -41.67: squares sum 69.44+277.78+69.44+1111.11+69.44+1736.11 = 3333.33
    # s = sqrt(3333.33 / 5) = 25.82; margin = 2.571 * 25.82 / sqrt(6) = 27.10
    before = rows[Point.BEFORE]
    assert before["n"] == 6
    assert before["knowledge"].mean == pytest.approx(41.667, abs=0.001)
    assert before["knowledge"].low == pytest.approx(41.667 - 27.10, abs=0.01)
    assert before["knowledge"].high == pytest.approx(41.667 + 27.10, abs=0.01)
    # Confidence before: 2, 3, 2, 3, 4, 1 -> mean 2.5; squares of deviations .25+.25+.25+.25+2.25+2.25 = 5.5
    # s = sqrt(1.1) = 1.0488; margin = 2.571 * 1.0488 / sqrt(6) = 1.1008
    assert before["confidence"].mean == pytest.approx(2.5)
    assert before["confidence"].low == pytest.approx(2.5 - 1.1008, abs=0.0005)
    # Later (n = 5, Bolton only): 75, 75, 100, 50, 100 -> mean 80; deviations -5,-5,20,-30,20: squares 1750
    # s = sqrt(1750/4) = 20.917; margin = 2.776 * 20.917 / sqrt(5) = 25.97
    later = rows[Point.LATER]
    assert later["n"] == 5 and later["knowledge"].mean == pytest.approx(80.0)
    assert later["knowledge"].low == pytest.approx(80 - 25.97, abs=0.01)
    assert later["knowledge"].high == 100  # 105.97: no score is above 100%, so the interval stops there


def test_the_share_who_kept_what_they_learnt_has_a_wilson_interval(db, make):
    _seed(db, make)
    (row,) = figures.kept("all")
    # Answered after and later: the five in Bolton. Later >= after: 3>=4 no, 3>=3 yes, 4>=4 yes, 2>=3 no, 4>=4 yes.
    assert (row["n"], row["kept"]) == (5, 3)
    # Wilson, p = 0.6, n = 5, z = 1.96: centre (0.6 + 0.38415) / 1.76829 = 0.55655;
    # margin 1.96 / 1.76829 * sqrt(0.048 + 0.038415) = 0.32578 -> 0.2308 to 0.8823
    z = 1.959964
    centre = (0.6 + z * z / 10) / (1 + z * z / 5)
    margin = z / (1 + z * z / 5) * math.sqrt(0.6 * 0.4 / 5 + z * z / 100)
    assert row["share"].mean == 0.6
    assert row["share"].low == pytest.approx(0.2307, abs=0.0005) and row["share"].low == pytest.approx(centre - margin)
    assert row["share"].high == pytest.approx(0.8823, abs=0.0005) and row["share"].high == pytest.approx(
        centre + margin
    )


def test_groups_of_fewer_than_five_show_their_count_only(db, make, client, auth):
    _seed(db, make)
    by_borough = {(r["group"], r["point"]): r for r in figures.scores("borough")}
    bolton, bury = by_borough[("Bolton", Point.AFTER)], by_borough[("Bury", Point.AFTER)]
    assert bury["n"] == 1 and bury["knowledge"] is None and bury["confidence"] is None
    # Bolton's 5 and Bury's 1 are all who answered straight after: Bolton's mean (90, from 100, 75, 100, 75, 100)
    # beside the total's would give Bury's one person's score, so Bolton's figures are hidden too.
    assert bolton["n"] == 5 and bolton["knowledge"] is None and bolton["protecting"]
    everyone = {r["point"]: r for r in figures.scores("all")}[Point.AFTER]
    assert everyone["n"] == 6 and everyone["knowledge"] is not None
    by_cohort = {(r["group"], r["point"]): r for r in figures.scores("cohort")}
    assert by_cohort[("2027-02", Point.BEFORE)]["n"] == 1
    assert by_cohort[("2027-01", Point.BEFORE)]["knowledge"] is None  # it would give away the one of 2027-02
    auth.login_as("staff")
    page = client.get("/staff/evaluation").get_data(as_text=True)
    assert "fewer than 5" in page and "not shown" in page and "42% (15 to 69)" in page and "2.50 (1.40 to 3.60)" in page
    assert "60% (23 to 88)" in page


def test_the_csv_files_carry_the_same_figures(db, make, client, auth):
    _seed(db, make)
    auth.login_as("staff")
    response = client.get("/staff/evaluation/borough-scores.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    bury = next(r for r in rows if r["Group"] == "Bury" and r["Point"] == "Straight after")
    assert bury["Answered"] == "1" and bury["Knowledge % mean"] == ""
    bolton = next(r for r in rows if r["Group"] == "Bolton" and r["Point"] == "Eight weeks later")
    assert bolton["Knowledge % mean"] == "80.0" and bolton["Knowledge % high"] == "100.0"
    kept = list(csv.DictReader(io.StringIO(client.get("/staff/evaluation/all-kept.csv").get_data(as_text=True))))
    assert kept[0]["Kept what they learnt"] == "3" and kept[0]["Share % low"] == "23.1"
    assert client.get("/staff/evaluation/nowhere-kept.csv").status_code == 404
    assert len(list(db.session.scalars(select(Response)))) == 17
