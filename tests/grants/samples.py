"""What the shared route and table walks need of grants (tests/feature_samples.py)."""

from __future__ import annotations


def route_args(db, make) -> dict[str, dict]:
    application = make.application(status="eligible")
    return {
        "grants.confirm_group": {"application_id": application.id},
        "grants.group_limit": {"application_id": application.id},
    }
