"""Sample records for the shared route walks (tests/feature_samples.py): grants routes not named in the access
matrix's own samples."""

from __future__ import annotations


def route_args(db, make) -> dict[str, dict]:
    # A round with an award, so that its 360Giving files have a grant in them (an empty one is not a file).
    awarded = make.application(status="approved")
    fund_id, round_id = awarded.round.fund_id, awarded.round_id
    return {
        "grants.threesixty_fund_json": {"fund_id": fund_id},
        "grants.threesixty_fund_csv": {"fund_id": fund_id},
        "grants.threesixty_round_json": {"round_id": round_id},
        "grants.threesixty_round_csv": {"round_id": round_id},
    }
