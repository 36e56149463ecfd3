"""Consent: recorded with its wording version and time."""

from __future__ import annotations

from champions.extensions import db
from champions.privacy.models import ConsentRecord

PRIVACY_NOTICE_VERSION = "privacy-2026-11"
PRIVACY_CONSENT_WORDING = (
    "I have read the privacy notice and agree that Champions may hold my details to support me as a cancer champion."
)


def record_consent(user_id: int, purpose: str, granted: bool, version: str, source: str = "web") -> ConsentRecord:
    consent = ConsentRecord(user_id=user_id, purpose=purpose, granted=granted, wording_version=version, source=source)
    db.session.add(consent)
    return consent
