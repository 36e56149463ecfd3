"""What a person agreed to: every decision (given or withdrawn) about each purpose, with the wording's version."""

from __future__ import annotations

from sqlalchemy import select

from champions.accounts.models import ConsentRecord
from champions.accounts.signals import consent_purpose_label
from champions.core.features import values_from
from champions.core.notice import NOTICE_VERSIONS, PRIVACY_NOTICE_VERSION
from champions.core.personal_data import Choice, humanise
from champions.core.templating import uk_time
from champions.extensions import db

PRIVACY_CONSENT_WORDING = (
    "I have read the privacy notice and agree that Champions may hold my details to support me as a cancer champion."
)
EMAIL_CONSENT_VERSION = "email-2026-11"
EMAIL_CONSENT_WORDING = "Email me reminders, news and suggestions for things I could do as a champion."
EQUALITY_CONSENT_VERSION = "equality-2026-11"
EQUALITY_CONSENT_WORDING = (
    "I agree that Champions may keep these answers, which can include sensitive information, "
    "to check the programme reaches everyone fairly."
)
# What each purpose is about, in words (the person's data export); other features name theirs by a signal.
PURPOSE_LABELS = {
    "privacy_notice": "The privacy notice",
    "email_contact": "Emails from us",
    "equality_monitoring": "Keeping your equality monitoring answers",
}
PURPOSES = {
    "privacy_notice": PRIVACY_NOTICE_VERSION,
    "email_contact": EMAIL_CONSENT_VERSION,
    "equality_monitoring": EQUALITY_CONSENT_VERSION,
}


def record_consent(user_id: int, purpose: str, granted: bool, version: str, source: str = "web") -> ConsentRecord:
    consent = ConsentRecord(user_id=user_id, purpose=purpose, granted=granted, wording_version=version, source=source)
    db.session.add(consent)
    return consent


def current_consents(user_id: int) -> dict[str, ConsentRecord]:
    """The latest decision for each purpose."""
    rows = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.user_id == user_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    return {row.purpose: row for row in rows}


def has_consent(user_id: int, purpose: str) -> bool:
    latest = current_consents(user_id).get(purpose)
    return bool(latest and latest.granted)


def set_consent(user_id: int, purpose: str, granted: bool) -> ConsentRecord | None:
    """Record a change of mind; recording the same decision twice adds nothing."""
    if has_consent(user_id, purpose) == granted:
        return None
    return record_consent(user_id, purpose, granted, PURPOSES[purpose])


def purpose_label(purpose: str) -> str:
    """A consent purpose in words: one of ours, or another feature's (``signals.consent_purpose_label``)."""
    if purpose in PURPOSE_LABELS:
        return PURPOSE_LABELS[purpose]
    answers = values_from(consent_purpose_label, purpose)
    return answers[0] if answers else humanise(purpose)


def consent_choices(user, champion=None) -> list[Choice]:
    """The person's standing decisions on the privacy notice, emails and equality monitoring, for their export."""
    consents = current_consents(user.id)
    choices: list[Choice] = []
    notice = consents.get("privacy_notice")
    if notice is not None and notice.granted:
        versions = {v.version: v for v in NOTICE_VERSIONS}
        which = (
            f"the privacy notice of {versions[notice.wording_version].published:%-d %B %Y}"
            if notice.wording_version in versions
            else f"the privacy notice (version {notice.wording_version})"
        )
        agreed = f"You agreed to {which} on {uk_time(notice.recorded_at, '%-d %B %Y')}"
        choices.append((PURPOSE_LABELS["privacy_notice"], agreed))
    for purpose in ("email_contact", "equality_monitoring"):
        latest = consents.get(purpose)
        if latest is None:
            choices.append((PURPOSE_LABELS[purpose], "No (you have not been asked or did not say yes)"))
        else:
            answer = "Yes" if latest.granted else "No"
            choices.append((PURPOSE_LABELS[purpose], f"{answer}, since {uk_time(latest.recorded_at, '%-d %B %Y')}"))
    return choices
