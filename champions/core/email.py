"""Send email: to the local outbox (development) or by SMTP (production).

Tasks call `send_email`; views never send directly, they queue a task after commit. Every message is built by
`build_message`, and every task that sends email is declared with `email_task`, which gives it the one retry policy.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import headerregistry, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from celery import shared_task
from flask import current_app, render_template
from sqlalchemy import Update, select
from sqlalchemy.exc import OperationalError

from champions.core import log
from champions.core.clock import now_utc
from champions.core.db import rowcount
from champions.core.models import OutboxMessage
from champions.extensions import db


def _log_final_failure(task: Any, exc: Exception, task_id: str, args: tuple, kwargs: dict, einfo: Any) -> None:
    log.error("email task %s%s failed for good (retries spent or not retryable): %r", task.name, tuple(args), exc)


class SMTPTemporaryError(smtplib.SMTPResponseException):
    """A 4xx reply from the mail server (greylisting, a full queue): the same message may go through later."""


#: What is worth retrying: the mail server or the network down or slow, a 4xx reply, the database busy. A
#: 5xx reply (a recipient refused, a message rejected) or any other error comes back the same on every attempt.
TEMPORARY_ERRORS: tuple[type[Exception], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    SMTPTemporaryError,
    TimeoutError,
    ConnectionError,
    OperationalError,
)

#: The retry policy of every task that sends email. Temporary trouble (``TEMPORARY_ERRORS``) is retried after
#: about 30 s, 60 s, 120 s... (jittered, at most 10 minutes apart), five times; then the failure is logged, as
#: is one not worth retrying. A task must mark each message sent in the commit that follows its sending, so a
#: retry sends only what is still unmarked.
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "autoretry_for": TEMPORARY_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "on_failure": _log_final_failure,
}


def email_task(*args: Any, **options: Any) -> Any:
    """``@shared_task`` with the email retry policy: ``@email_task`` or ``@email_task(bind=True)``."""
    return shared_task(*args, **EMAIL_TASK_OPTIONS, **options)


def _message_domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "champions.local"


class _HeaderClasses(headerregistry.HeaderRegistry):
    """The standard header registry, remembering the class it makes for each header name: the standard one makes a
    new class every time a header is set, read or counted, many times per message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


class _Policy(policy.EmailPolicy):
    """The standard policy (``email.policy.default``), quicker to build a message with. It parses a header's
    value into a header object when the value is set, dozens of times per message and most of the time it takes to
    build one. This one keeps a short, printable, plain-ASCII value as the text it is: such a value is written out
    exactly as given, and is still parsed into a header object whenever it is read (``header_fetch_parse``).
    Anything else (non-ASCII, a line break, a control character, a value too long for one line) takes the
    standard path: encoded, folded, or refused as header injection."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and (self.max_line_length is None or len(name) + len(value) + 2 <= self.max_line_length)
        ):
            return (name, value)
        return super().header_store_parse(name, value)


#: Every message's policy. Long header values (List-Unsubscribe URLs) must stay plain, not RFC 2047 encoded-words.
POLICY = _Policy(max_line_length=998, header_factory=_HeaderClasses())


class AccountMessage(EmailMessage):
    """An email that knows whose account it is for (``account_id``), for the outbox's record; never a header."""

    account_id: int | None = None


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: dict[str, str] | None,
    *,
    account_id: int | None = None,
) -> EmailMessage:
    """The one place a message is made: every email has From, Date (the app's clock) and a Message-ID. The
    account it is for is the one whose address it goes to, unless ``account_id`` names it (an address the
    person has just left)."""
    msg = AccountMessage(policy=POLICY)
    msg.account_id = account_id
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now_utc())
    msg["Message-ID"] = make_msgid(domain=_message_domain())
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _to_outbox(msg: EmailMessage) -> None:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    standard = {"From", "To", "Subject", "Content-Type", "MIME-Version", "Content-Transfer-Encoding"}
    # Whose address it is now (accounts is a higher layer: its table is read by name).
    users = db.metadata.tables["users"]
    address = parseaddr(msg["To"])[1].lower()
    db.session.add(
        OutboxMessage(
            to_address=msg["To"],
            user_id=getattr(msg, "account_id", None)
            or db.session.scalar(select(users.c.id).where(users.c.email == address)),
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
    with _temporary_replies_marked():
        smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30)
        try:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USERNAME"]:
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
            yield smtp.send_message
        finally:
            _hang_up(smtp)


def _reply_codes(error: smtplib.SMTPException) -> list[int]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _ in error.recipients.values()]
    return [getattr(error, "smtp_code", 0)]


@contextmanager
def _temporary_replies_marked() -> Iterator[None]:
    """smtplib raises a 4xx and a 5xx reply alike: a 4xx one becomes ``SMTPTemporaryError``, to be retried."""
    try:
        yield
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
        codes = _reply_codes(error)
        if isinstance(error, TEMPORARY_ERRORS) or not all(400 <= code < 500 for code in codes):
            raise
        raise SMTPTemporaryError(codes[0], str(error)) from error


def _refused_for_good(error: Exception) -> bool:
    """Whether the mail server refused this recipient with a 5xx reply: sending again would be refused again."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and any(code >= 500 for code in _reply_codes(error))


def _hang_up(smtp: smtplib.SMTP) -> None:
    """Say goodbye. The server has already accepted what was sent: a failure now must not make a task retry and
    send it all again."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("closing the SMTP connection failed after sending: %s", error)
        smtp.close()


def deliver(msg: EmailMessage) -> None:
    """Deliver one message now. In the outbox backend this adds a row; the caller commits."""
    with mail_sender() as send:
        send(msg)
    log.info("email sent: %s", msg["Subject"])


def send_email(
    to: str, subject: str, text: str, html: str | None = None, headers: dict[str, str] | None = None
) -> None:
    """Deliver one email now. In the outbox backend this adds a row; the caller commits."""
    deliver(build_message(to, subject, text, html, headers))


def template_message(to: str, template: str, *, account_id: int | None = None, **context: object) -> EmailMessage:
    """Render ``emails/<template>.txt`` and ``.html`` with a subject line from the text's first line."""
    text = render_template(f"emails/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    html = render_template(f"emails/{template}.html", subject=subject.strip(), **context)
    return build_message(to, subject.strip(), body.lstrip("\n"), html, None, account_id=account_id)


def send_once(
    msg: EmailMessage | None, mark: Update, also: Update | None = None, *, refused: Update | None = None
) -> bool:
    """Send ``msg`` (None: nothing to send) and commit ``mark``, an UPDATE conditional on the row being still
    unmarked; True when this run marked it. The caller has read, in the open transaction, that it is due.
    ``also`` (another row's mark) is run in the same commit when ``mark`` marked. With ``refused``, a recipient
    the mail server refuses for good (a 5xx reply) is recorded by committing that UPDATE instead, and nothing is
    raised: sending again would be refused again, and the work after it must go on.

    By SMTP that transaction ends before the server is spoken to: on SQLite every transaction holds the
    database-wide write lock, which a hung mail server would otherwise keep for its 30 s timeout, and every
    request would wait. The mark then commits in a short transaction of its own; being conditional, a
    concurrent run that sent it too cannot mark it twice. To the outbox, the message row and the mark are
    one transaction, so there is no window at all.
    """
    smtp = current_app.config["MAIL_BACKEND"] == "smtp"
    if smtp:
        db.session.rollback()
        if msg is not None:
            try:
                deliver(msg)
            except smtplib.SMTPRecipientsRefused as error:
                if refused is None or not _refused_for_good(error):
                    raise
                db.session.rollback()
                db.session.execute(refused.execution_options(synchronize_session=False))
                db.session.commit()
                log.warning("email refused by the mail server for good: %s", error.recipients)
                return False
    marked = bool(rowcount(db.session.execute(mark.execution_options(synchronize_session=False))))
    if marked and also is not None:
        db.session.execute(also.execution_options(synchronize_session=False))
    if marked and msg is not None and not smtp:
        deliver(msg)
    db.session.commit()
    return marked


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link (in an email, a page or a calendar), always on BASE_URL.

    Never built from the request: its Host header is whatever the client sent, so a link shown on a page
    (a referral link, a calendar address) could otherwise point anywhere.
    """
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
