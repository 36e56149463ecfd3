"""The privacy notice: who answers for the data, each use's lawful basis, the configured retention periods, how to
use each right here, its versions; and the version a person agreed to, shown to them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from champions.accounts.consent import record_consent
from champions.core.notice import NOTICE_VERSIONS, PRIVACY_NOTICE_VERSION


def long(day) -> str:
    """A date as the public pages write it, like 4 December 2026."""
    return day.strftime("%-d %B %Y")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_notice_names_the_controller_bases_rights_and_the_configured_retention(app, client):
    app.config.update(
        RETENTION_UNVERIFIED_DAYS=23, RETENTION_WITHDRAWN_DAYS=401, RETENTION_FILES_DAYS=9, LAPSE_AFTER_DAYS=77
    )
    try:
        page = client.get("/privacy").get_data(as_text=True)
    finally:
        app.config.update(
            RETENTION_UNVERIFIED_DAYS=30, RETENTION_WITHDRAWN_DAYS=365, RETENTION_FILES_DAYS=7, LAPSE_AFTER_DAYS=60
        )
    text = _text(page)
    for sentence in (
        "deleted after 23 days",
        "removed 401 days after you withdraw",
        "emptied 9 days after they are made",
        "no activity for 77 days",
        "signed out after 12 hours",
    ):
        assert sentence in text, sentence
    assert app.config["CONTROLLER_NAME"] in text and app.config["CONTROLLER_CONTACT"] in text
    assert app.config["DPO_CONTACT"] in text
    assert "Article 6(1)(a)" in text and "Article 6(1)(f)" in text and "Article 9(2)(a)" in text
    assert "ico.org.uk" in text and "0303 123 1113" in text
    assert "(portability)" in text and "CSV and JSON" in text
    assert "the audit log keeps only that something was done" in text
    for path in ("/me/data", "/me/preferences", "/me/details"):
        assert f'href="{path}"' in page, path
    assert f"The privacy notice of {long(NOTICE_VERSIONS[0].published)}." in text and PRIVACY_NOTICE_VERSION not in text


def test_older_versions_stay_readable(client):
    older = NOTICE_VERSIONS[1].version
    page = client.get("/privacy").get_data(as_text=True)
    assert f'href="/privacy/{older}"' in page
    old = _text(client.get(f"/privacy/{older}").get_data(as_text=True))
    assert "This version is no longer current" in old and "What we hold" in old
    assert f"This is the privacy notice of {long(NOTICE_VERSIONS[1].published)}." in old and older not in old
    assert client.get(f"/privacy/{PRIVACY_NOTICE_VERSION}").headers["Location"].endswith("/privacy")
    assert client.get("/privacy/privacy-1999-01").status_code == 404


def test_a_person_sees_the_version_they_agreed_to_and_what_changed_since(auth, client, db):
    champion = auth.login_as("champion")
    older = NOTICE_VERSIONS[1]
    record_consent(champion.id, "privacy_notice", True, older.version).recorded_at = datetime(
        2026, 11, 20, 9, tzinfo=UTC
    )
    db.session.commit()
    page = client.get("/me/data").get_data(as_text=True)
    text = _text(page)
    assert f"You agreed to the privacy notice of {long(older.published)} on 20 November 2026." in text
    assert f"The privacy notice has changed since then. The notice of {long(NOTICE_VERSIONS[0].published)}:" in text
    assert NOTICE_VERSIONS[0].changes in text and older.version not in text
    assert f'href="/privacy/{older.version}"' in page
    now = record_consent(champion.id, "privacy_notice", True, PRIVACY_NOTICE_VERSION)
    now.recorded_at = datetime(2026, 12, 8, 9, tzinfo=UTC)
    db.session.commit()
    text = _text(client.get("/me/data").get_data(as_text=True))
    assert f"You agreed to the privacy notice of {long(NOTICE_VERSIONS[0].published)} on 8 December 2026." in text
    assert "has changed since" not in text
