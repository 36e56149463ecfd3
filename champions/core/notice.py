"""The privacy notice every page links to (core/templates/core/privacy.html): its version is recorded with each
consent given to it, so a change to the notice changes this. Older versions stay readable at /privacy/<version>."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NoticeVersion:
    version: str
    published: date
    changes: str


# Newest first. An older version's text is core/templates/core/notices/<version>.html.
NOTICE_VERSIONS = (
    NoticeVersion(
        "privacy-2026-12",
        date(2026, 12, 4),
        "Names who is responsible for your data and how to contact them and the data protection officer; gives the "
        "lawful basis for each use and the condition for equality answers; lists who receives data; says how long "
        "each kind of data is kept; explains how to use each of your rights here and how to complain to the "
        "Information Commissioner's Office.",
    ),
    NoticeVersion("privacy-2026-11", date(2026, 11, 2), "The first version."),
)
PRIVACY_NOTICE_VERSION = NOTICE_VERSIONS[0].version
OLDER_VERSIONS = {v.version: v for v in NOTICE_VERSIONS[1:]}
