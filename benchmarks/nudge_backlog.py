"""N5: a backlog of nudges drained by the delivery task into a real SMTP server (aiosmtpd), against the same
messages sent by a bare smtplib loop on one connection.

    python -m benchmarks.nudge_backlog [--messages 100000]

The backlog is shaped like the engine's: it makes messages only for people who may be emailed then (agreed to
email, not withdrawn). One due message to each of them, and two more (other rules) to one in twenty, so that the
weekly cap (2) defers the third of theirs. Then 2% of them withdraw their consent to email before the backlog is
sent: theirs must be skipped. The task runs batch after batch, in this process, at a moment
outside quiet hours (the clock moved with time-machine), until nothing is due. Then it checks, from what the SMTP
server received: every message sent once (duplicates: 0), none to anyone who may not be emailed, the cap held,
and nothing sent during quiet hours. Goal: N5 = task rate ÷ bare rate >= 0.5.
"""

from __future__ import annotations

import argparse
import re
import smtplib
import socket
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller

from benchmarks.generate import _copy, bench_app, generate, raw_connection

NUDGE_HEADER = re.compile(rb"^X-Champions-Nudge: (\d+)", re.MULTILINE)
RULES = ("start-training", "pledge-and-first-activity", "verify-email")
DAYTIME = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)  # a Wednesday morning: outside quiet hours
NIGHT = datetime(2027, 3, 9, 22, 30, tzinfo=UTC)  # inside them (21:00-08:00 UK)
BARE_SAMPLE = 10_000


class Receiver:
    """aiosmtpd handler: counts each nudge by its id (the X-Champions-Nudge header) and every message."""

    def __init__(self) -> None:
        self.nudges: Counter[int] = Counter()
        self.messages = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += 1
        found = NUDGE_HEADER.search(envelope.content)
        if found:
            self.nudges[int(found.group(1))] += 1
        return "250 Message accepted"


WITHDRAWN_SHARE = 50  # one in 50 of the people messaged withdraws consent before the backlog is sent


def _backlog(conn, people: int, messages: int, now: datetime) -> int:
    """Pending, due messages to people who may be emailed: one each, then two more each to one in twenty; then one
    in fifty of them withdraws consent to email (a later consent record), as people do while a backlog waits."""
    with conn.cursor() as cur:
        cur.execute("SELECT key, id FROM nudge_rules WHERE key = ANY(%s)", (list(RULES),))
        rule_ids = dict(cur.fetchall())
        cur.execute(
            """SELECT c.user_id FROM champions c WHERE c.stage <> 'withdrawn'
               AND (SELECT r.granted FROM consent_records r WHERE r.user_id = c.user_id AND r.purpose = 'email_contact'
                    ORDER BY r.recorded_at DESC, r.id DESC LIMIT 1)
               ORDER BY c.user_id"""
        )
        reachable = [user_id for (user_id,) in cur.fetchall()]
        extra = messages // 22  # people with three messages this week
        single = messages - 2 * extra
        if single > len(reachable):
            raise SystemExit(f"--messages {messages:,} needs more than {len(reachable):,} people who may be emailed")

        def rows():
            for rule, count in ((RULES[0], single), (RULES[1], extra), (RULES[2], extra)):
                for user_id in reachable[:count]:
                    yield (rule_ids[rule], user_id, 1, "pending", now, now - timedelta(minutes=5), 0)

        made = _copy(
            cur,
            "nudge_messages",
            ["rule_id", "user_id", "period", "status", "created_at", "due_at", "attempts"],
            rows(),
        )
        _copy(
            cur,
            "consent_records",
            ["user_id", "purpose", "granted", "wording_version", "recorded_at", "source"],
            (
                (user_id, "email_contact", False, "email-2026-11", now, "web")
                for user_id in reachable[:single:WITHDRAWN_SHARE]
            ),
        )
    conn.commit()
    return made


def _expected(conn) -> tuple[int, int]:
    """Independently of the app: how many messages may be sent (agreed to email, not withdrawn, within the cap of
    two a week) and how many the cap defers."""
    may = """
        SELECT m.id, m.user_id, m.rule_id FROM nudge_messages m
        JOIN champions c ON c.user_id = m.user_id AND c.stage <> 'withdrawn'
        WHERE (SELECT r.granted FROM consent_records r WHERE r.user_id = m.user_id AND r.purpose = 'email_contact'
               ORDER BY r.recorded_at DESC, r.id DESC LIMIT 1)
    """
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({may}) allowed")
        (allowed,) = cur.fetchone()
        cur.execute(f"SELECT count(*) FROM (SELECT user_id FROM ({may}) a GROUP BY user_id HAVING count(*) > 2) x")
        (capped,) = cur.fetchone()
    return allowed - capped, capped


def _drain(app) -> tuple[int, float, int]:
    """Run the delivery task until nothing is due: (messages sent, seconds, batches)."""
    from champions.nudges import tasks

    tasks.deliver_nudges.delay = lambda *a, **k: None  # this loop runs the next batch itself
    sent, batches = 0, 0
    started = time.perf_counter()
    while True:
        with app.app_context():  # a fresh session for each run, as the worker gives each task
            result = tasks.deliver_nudges.run()
        batches += 1
        if result is None:
            raise SystemExit("the delivery lock was held by someone else")
        sent += result["sent"]
        if not any(result[k] for k in ("sent", "skipped", "failed", "deferred")):
            break
    return sent, time.perf_counter() - started, batches


def _bare_rate(app, port: int, count: int) -> float:
    """The same kind of message (rendered by the app, each to its person) sent by smtplib alone on one connection."""
    from sqlalchemy import select

    from champions.extensions import db
    from champions.nudges.delivery import _allowed, _prepare
    from champions.nudges.models import NudgeMessage

    with app.app_context():
        due = list(db.session.scalars(select(NudgeMessage).where(NudgeMessage.status == "sent").limit(count)))
        emails = [item.email for item in _prepare(due, _allowed(due)) if item.email is not None]
    smtp = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for email in emails:
        smtp.send_message(email)
    seconds = time.perf_counter() - started
    smtp.quit()
    return len(emails) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print where the task's time goes (cProfile)")
    args = parser.parse_args()
    import time_machine

    people = args.messages * 3 // 2  # about 70% of generated people may be emailed
    app = bench_app()
    with raw_connection(app) as conn:
        generate(conn, people, activities=0, nudge_history=False)
        made = _backlog(conn, people, args.messages, DAYTIME - timedelta(hours=1))
        conn.execute("ANALYZE")
        conn.commit()
        should_send, should_defer = _expected(conn)
    receiver = Receiver()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False)
    app.config.update(NUDGE_QUIET_FROM=21, NUDGE_QUIET_UNTIL=8)
    try:
        with time_machine.travel(NIGHT, tick=True):
            quiet_sent, _, _ = _drain(app)
        with time_machine.travel(DAYTIME, tick=True):
            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                sent, seconds, batches = profiler.runcall(_drain, app)
                stats = pstats.Stats(profiler).sort_stats("cumulative")
                stats.print_stats(45)
                stats.print_callees("context_for|_prepare|mark")
            else:
                sent, seconds, batches = _drain(app)
            received = Counter(receiver.nudges)  # before the bare loop sends some of the same again
            bare = _bare_rate(app, port, min(BARE_SAMPLE, sent))
    finally:
        controller.stop()
    rate = sent / seconds
    with raw_connection(app) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM nudge_messages GROUP BY status ORDER BY status")
        statuses = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM nudge_messages WHERE status = 'pending' AND due_at > %s", (DAYTIME,))
        (deferred,) = cur.fetchone()
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    print(f"backlog: {made:,} messages to {people:,} people; at night (22:30 UK): {quiet_sent} sent")
    print(f"drained in {seconds:.1f} s, {batches:,} batches: {statuses}")
    print(
        f"sent {sent:,} (expected {should_send:,}), deferred by the weekly cap {deferred:,} (expected {should_defer:,})"
    )
    print(f"the SMTP server received {len(received):,} nudges, duplicates {duplicates}")
    print(f"task {rate:,.0f} messages/s, bare smtplib {bare:,.0f} messages/s (the first {min(BARE_SAMPLE, sent):,})")
    print(f"N5 = {rate / bare:.2f} (goal >= 0.5)")
    held = quiet_sent == 0 and duplicates == 0 and sent == should_send == len(received) and deferred == should_defer
    print("rules held: " + ("yes" if held else "NO"))


if __name__ == "__main__":
    main()
