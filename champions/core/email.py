"""Send email: to the local outbox (development) or by SMTP (production).

Tasks call `send_email`; views never send directly, they queue a task after commit.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template

from champions.core import log
from champions.core.models import OutboxMessage
from champions.extensions import db


def build_message(to: str, subject: str, text: str, html: str | None, headers: dict[str, str] | None) -> EmailMessage:
    # Long header values (List-Unsubscribe URLs) must stay plain, not RFC 2047 encoded-words.
    msg = EmailMessage(policy=policy.default.clone(max_line_length=998))
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="champions.local")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _to_outbox(msg: EmailMessage) -> None:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    standard = {"From", "To", "Subject", "Message-ID", "Content-Type", "MIME-Version", "Content-Transfer-Encoding"}
    db.session.add(
        OutboxMessage(
            to_address=msg["To"],
            subject=msg["Subject"],
            text_body=text.get_content() if text else "",
            html_body=html.get_content() if html else None,
            headers={k: v for k, v in msg.items() if k not in standard},
        )
    )
    db.session.flush()


@contextmanager
def mail_sender() -> Iterator[Callable[[EmailMessage], object]]:
    """Yield a function that sends messages, over ONE SMTP connection for a whole batch.

    In the outbox backend a "sent" message is a row in the same transaction as the caller's work.
    """
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] != "smtp":
        yield _to_outbox
        return
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        yield smtp.send_message


def send_email(
    to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Deliver one email now. In the outbox backend this adds a row; the caller commits."""
    with mail_sender() as send:
        send(build_message(to, subject, text, html, headers))
    log.info("email sent: %s", subject)


def send_template(to: str, template: str, **context: object) -> None:
    """Render ``emails/<template>.txt`` and ``.html`` with a subject line from the text's first line."""
    text = render_template(f"emails/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"emails/{template}.html", subject=subject.strip(), **context)
    send_email(to, subject.strip(), body.lstrip("\n"), html)


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link (in an email, a page or a calendar), always on BASE_URL.

    Never built from the request: its Host header is whatever the client sent, so a link shown on a page
    (a referral link, a calendar address) could otherwise point anywhere.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
