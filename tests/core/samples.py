"""What core offers the shared route and table walks (tests/feature_samples.py)."""

from __future__ import annotations

from champions.core.notice import NOTICE_VERSIONS
from champions.core.saved_searches import SavedSearch


def route_args(db, make) -> dict[str, dict]:
    # A staff member's saved search: anyone else is answered "not found", as for one that does not exist.
    saved = SavedSearch(user_id=make.user(role="staff").id, list_name="roster", name="Wigan", query="borough=wigan")
    db.session.add(saved)
    db.session.commit()
    search = {"search_id": saved.id}
    return {
        "core.privacy_version": {"version": NOTICE_VERSIONS[-1].version},
        "core.saved_search_open": search,
        "core.saved_search_rename": search,
        "core.saved_search_delete": search,
        "grants.fund_edit": {"fund_id": make.fund(name="Sample fund").id},
    }


def personal_rows(db, user, champion) -> None:
    db.session.add(SavedSearch(user_id=user.id, list_name="roster", name="Mine", query="stage=active"))
