"""What core offers the shared route and table walks (tests/feature_samples.py)."""

from __future__ import annotations

from champions.core.notice import NOTICE_VERSIONS


def route_args(db, make) -> dict[str, dict]:
    return {"core.privacy_version": {"version": NOTICE_VERSIONS[-1].version}}
