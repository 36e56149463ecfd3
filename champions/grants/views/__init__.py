"""Small Sparks pages, by who uses them. Importing this package adds every page's route to the blueprint.

Object-level rules live in the pages: an applicant sees only their own applications (404 otherwise),
a reviewer only their own assignments, a funder only the funds they are linked to.
"""

from __future__ import annotations

from champions.grants import bp
from champions.grants.models import ReportStatus, Status
from champions.grants.services.lifecycle import pounds
from champions.grants.views import (  # noqa: F401  (importing them adds their routes)
    applicants,
    funders,
    public,
    reviewers,
    staff_applications,
    staff_groups,
    staff_payments,
    staff_rounds,
    threesixty,
)


@bp.record_once
def _template_globals(state) -> None:
    # Globals, not a context processor, so that imported macros see them too.
    state.app.jinja_env.globals.update(pounds=pounds, Status=Status, ReportStatus=ReportStatus)
