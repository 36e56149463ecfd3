"""The staff roster: filters, key-set pages sortable by a few columns, one champion's timeline, notes, stages.

Services flush; the request commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Row,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from champions.accounts.models import User, email_local_reversed
from champions.activities.models import Activity
from champions.core import audit
from champions.core.clock import uk_day_start
from champions.core.db import as_utc
from champions.core.forms import optional_id, parse_day, search_text
from champions.core.models import AuditEvent, Borough, OutboxMessage
from champions.extensions import db
from champions.nudges.models import NudgeMessage, NudgeRule
from champions.organisations.models import Organisation
from champions.privacy.models import EqualityAnswers
from champions.profiles.models import LIVE, Champion, Stage, champion_topics
from champions.profiles.services import change_stage, ensure_live
from champions.roster.models import ChampionNote, ImportRow, Tag, champion_tags
from champions.spread.models import ROLES
from champions.spread.queries import has_role
from champions.training.models import PledgeAcceptance, TrainingCompletion, TrainingResource

PAGE_SIZE = 50
# sort name -> (column, label). Every key is (column, id), so a page is one index range scan.
SORTS = {
    "newest": (Champion.created_at, "Newest first"),
    "oldest": (Champion.created_at, "Oldest first"),
    "name": (Champion.last_name, "Last name, A to Z"),
    "last_activity": (Champion.last_activity_on, "Most recent activity first"),
}
DESCENDING = {"newest", "last_activity"}
# Fields named in a correction's audit event, as the timeline (and the page that saved it) says them.
FIELD_NAMES = {
    "first_name": "first name",
    "last_name": "last name",
    "postcode": "postcode",
    "borough_code": "borough",
    "phone": "phone number",
    "topics": "topics",
    "email": "sign-in email address",
}
NEVER = date(1900, 1, 1)  # champions with no activity sort last, and still have a key
#: NEVER written into the SQL, as the index of champions by last activity has it (ix_champions_last_activity_id):
#: an index on an expression is used only for that very expression, and a parameter in its place is not one.
NEVER_IN_SQL = literal_column(f"'{NEVER.isoformat()}'", Date())


@dataclass
class RosterFilters:
    q: str = ""
    stage: str = ""
    borough: str = ""
    topic: str = ""
    organisation: int | None = None  # one organisation, by id (a saved search, a link)
    organisation_name: str = ""  # part of the name of the organisation they heard via
    recruited_by: str = ""
    registered_from: date | None = None
    registered_to: date | None = None
    active_after: date | None = None
    active_before: date | None = None
    trained: str = ""  # "yes", "no" or ""
    leader: str = ""
    tag: int | None = None
    role: str = ""  # a network role in the newest run (champions.spread's ROLES)
    sort: str = "newest"
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments, leaving out blanks (for links and saved export jobs)."""
        values = asdict(self)
        values.pop("errors")
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v not in ("", None)}


def _date_arg(args, name: str, label: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_day(args.get(name))
    except ValueError:
        errors[name] = f"{label} must be a real date, like 2025-01-31"
        return None


def parse_filters(args) -> RosterFilters:
    errors: dict[str, str] = {}
    sort = args.get("sort", "newest")
    organisation = args.get("organisation", "")
    return RosterFilters(
        q=search_text(args.get("q")),
        stage=args.get("stage", "") if args.get("stage") in {s.value for s in Stage} else "",
        borough=search_text(args.get("borough"), 32),
        topic=search_text(args.get("topic"), 32),
        organisation=optional_id(organisation),
        organisation_name=search_text(args.get("organisation_name"), 200),
        recruited_by=search_text(args.get("recruited_by"), 16).upper(),
        registered_from=_date_arg(args, "registered_from", "Registered from", errors),
        registered_to=_date_arg(args, "registered_to", "Registered to", errors),
        active_after=_date_arg(args, "active_after", "Last activity after", errors),
        active_before=_date_arg(args, "active_before", "Last activity before", errors),
        trained=args.get("trained", "") if args.get("trained") in ("yes", "no") else "",
        leader=args.get("leader", "") if args.get("leader") in ("yes", "no") else "",
        tag=optional_id(args.get("tag", "")),
        role=args.get("role", "") if args.get("role") in ROLES else "",
        sort=sort if sort in SORTS else "newest",
        errors=errors,
    )


def saved_search_keys() -> tuple[str, ...]:
    """The roster's filter keys, as a saved search may hold them (core/saved_searches.py)."""
    return tuple(f.name for f in fields(RosterFilters) if f.name != "errors")


FILTER_NAMES = {"role": "Network role"}  # a filter's name where its key alone does not say it


def saved_search_problems(args: Mapping[str, str]) -> dict[str, str]:
    """What the roster would refuse or ignore in ``args``: a date that is not one, a choice it does not offer."""
    parsed = parse_filters(MultiDict(args))
    problems = dict(parsed.errors)
    kept = parsed.as_args()
    for key in ("stage", "trained", "leader", "role", "sort", "organisation"):
        if key in args and str(kept.get(key, "")) != args[key].strip():
            problems[key] = f"{FILTER_NAMES.get(key, key.capitalize())} must be one of the choices the list offers"
    return problems


def core_training_done():
    """True where a champion has completed every current core resource (one correlated count)."""
    core = (
        select(func.count())
        .select_from(TrainingResource)
        .where(TrainingResource.is_core.is_(True), TrainingResource.retired_at.is_(None))
    )
    done = (
        select(func.count())
        .select_from(TrainingCompletion)
        .join(TrainingResource, TrainingResource.id == TrainingCompletion.resource_id)
        .where(
            TrainingCompletion.champion_id == Champion.id,
            TrainingResource.is_core.is_(True),
            TrainingResource.retired_at.is_(None),
        )
    )
    return and_(core.scalar_subquery() > 0, done.scalar_subquery() >= core.scalar_subquery())


def _literal(value: str) -> str:
    """``value`` in a LIKE pattern (escape character ``\\``), its own ``%`` and ``_`` taken as themselves: a search
    for "a_b" finds "a_b", not "axb"."""
    return re.sub(r"([\\%_])", r"\\\1", value)


def _anywhere(value: str) -> str:
    return f"%{_literal(value)}%"


def _email_part(q: str) -> ColumnElement[bool]:
    """The account's email contains ``q``. Where ``q`` has an "@" after some text (most often a whole address), that
    text ends the address's local part: on PostgreSQL it is then found by the reversed local part's own index
    (``ix_users_email_local_reversed``), as a trigram search of "…@example.org" would read the entries every address
    shares."""
    q = q.lower()
    contains = User.email.like(_anywhere(q), escape="\\")
    local, at, _ = q.partition("@")
    if not (at and local) or db.engine.dialect.name != "postgresql":
        return contains
    ending = email_local_reversed(User.email).like(f"{_literal(local[::-1])}%", escape="\\")
    return and_(contains, ending)


@dataclass(frozen=True)
class SearchPart:
    where: ColumnElement[bool]
    on_account: bool  # it compares the account's columns, so the account is joined to ask it


def _search_parts(q: str) -> list[SearchPart]:
    """What a search for ``q`` asks, in parts that one index each can answer: every word of ``q`` in the first or
    last name, or ``q`` in the postcode (the champion's own columns); ``q`` in the email (the account's). On
    PostgreSQL each has trigram indexes (the models' ``*_search`` indexes, on these very expressions)."""
    words = q.lower().split()
    name_match = and_(
        *(
            or_(
                func.lower(Champion.first_name).like(_anywhere(w), escape="\\"),
                func.lower(Champion.last_name).like(_anywhere(w), escape="\\"),
            )
            for w in words
        )
    )
    squashed = _anywhere(q.replace(" ", "").upper())
    on_record = or_(name_match, func.replace(func.upper(Champion.postcode), " ", "").like(squashed, escape="\\"))
    return [SearchPart(on_record, on_account=False), SearchPart(_email_part(q), on_account=True)]


def _search(query: Select, q: str) -> Select:
    """Champions matching any part of the search. Asked as a union of ids, one set per part, so that PostgreSQL
    can answer each from its indexes: one OR across the two tables would leave it none to use."""
    ids = union(*(_matching(select(Champion.id), part) for part in _search_parts(q)))
    return query.where(Champion.id.in_(ids))


def _matching(query: Select, part: SearchPart) -> Select:
    """``query`` (of champions) narrowed to those matching ``part``, joined to their accounts only when the part
    asks about them (every champion has one: the join would only cost a look-up a row)."""
    if part.on_account:
        query = query.join(User, User.id == Champion.user_id)
    return query.where(part.where)


def filtered(f: RosterFilters, search_part: SearchPart | None = None) -> Select:
    """Live (not merged-away) champions matching ``f``. With ``search_part`` (one of ``_search_parts(f.q)``), only
    those matching that part of the search."""
    query = select(Champion).where(LIVE)
    if search_part is not None:
        query = _matching(query, search_part)
    elif f.q:
        query = _search(query, f.q)
    if f.stage:
        query = query.where(Champion.stage == f.stage)
    if f.borough:
        query = query.where(Champion.borough_code == f.borough)
    if f.topic:
        query = query.where(
            exists().where(champion_topics.c.champion_id == Champion.id, champion_topics.c.topic_code == f.topic)
        )
    if f.organisation:
        query = query.where(Champion.heard_via_organisation_id == f.organisation)
    if f.organisation_name:
        named = select(Organisation.id).where(
            func.lower(Organisation.name).like(_anywhere(f.organisation_name.lower()), escape="\\")
        )
        query = query.where(Champion.heard_via_organisation_id.in_(named))
    if f.recruited_by:
        recruiter = select(Champion.id).where(Champion.referral_code == f.recruited_by).scalar_subquery()
        query = query.where(Champion.recruited_by_id == recruiter)
    if f.registered_from:
        query = query.where(Champion.created_at >= uk_day_start(f.registered_from))  # UK dates, as the roster shows
    if f.registered_to:
        query = query.where(Champion.created_at < uk_day_start(f.registered_to + timedelta(days=1)))
    if f.active_after:
        query = query.where(Champion.last_activity_on > f.active_after)
    if f.active_before:
        query = query.where(Champion.last_activity_on < f.active_before)
    if f.trained:
        done = core_training_done()
        query = query.where(done if f.trained == "yes" else ~done)
    if f.leader:
        query = query.where(Champion.is_leader.is_(f.leader == "yes"))
    if f.tag:
        query = query.where(exists().where(champion_tags.c.champion_id == Champion.id, champion_tags.c.tag_id == f.tag))
    if f.role:
        query = query.where(has_role(f.role, Champion.id))
    return query


#: The roster counts its matches up to this many and then says "more than": counting a million takes longer than
#: showing a page of them does, and a number that large is for the dashboard, not the list.
COUNT_UP_TO = 1_000


def count_matches(f: RosterFilters, up_to: int | None = None) -> int:
    """How many live champions match ``f``; with ``up_to``, counting stops early, and a result above ``up_to``
    means "more than that". A search counts each part's matches up to that many on the part's own best index: when
    one part alone has more, so does the search; when one has none, the other's count is the answer; else the
    count is of their union."""
    if up_to is None:
        return _count(filtered(f))
    if not f.q:
        return _count(_first(filtered(f), up_to))
    parts = [_first(filtered(f, part), up_to) for part in _search_parts(f.q)]
    counts = []
    for part in parts:
        counts.append(_count(part))
        if counts[-1] > up_to:
            return counts[-1]
    if min(counts) == 0:
        return sum(counts)
    return _count(union(*(select(part.subquery().c.id) for part in parts)))


def _first(query: Select, up_to: int) -> Select:
    """The ids of ``query``'s first rows, one more than ``up_to``: enough to say "more than that"."""
    return query.with_only_columns(Champion.id).limit(up_to + 1)


def _count(query: Select | CompoundSelect) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


@dataclass
class RosterPage:
    items: list[Row[Any]]  # ROW_COLUMNS of each champion
    after: str | None  # the key of the last row, for the next page's link
    first: bool = True  # the list from its start (no key was given, or none that could be read)


def page_total(f: RosterFilters, page: RosterPage, up_to: int) -> int:
    """How many match ``f``, as ``count_matches(f, up_to)`` tells it. A first page with no next one holds every
    match, so its length is the count, with no query: a search for one person's email counts nothing again."""
    if page.first and page.after is None:
        return len(page.items)
    return count_matches(f, up_to)


#: What a row of the roster shows, as plain rows: building fifty Champion objects (and loading their boroughs apart)
#: cost more than the query did.
ROW_COLUMNS = (
    Champion.id,
    Champion.first_name,
    Champion.last_name,
    Champion.is_leader,
    Champion.stage,
    Champion.created_at,
    Champion.last_activity_on,
    Borough.name.label("borough_name"),
)


def _rows(query: Select) -> Select:
    """``query`` (of champions) as the roster's rows."""
    return query.with_only_columns(*ROW_COLUMNS).join(Borough, Borough.code == Champion.borough_code)


def _sort_value(sort: str, champion: Row[Any]) -> str:
    if sort == "name":
        return champion.last_name
    if sort == "last_activity":
        return (champion.last_activity_on or NEVER).isoformat()
    return as_utc(champion.created_at).isoformat()


def _parse_key(sort: str, after: str | None) -> tuple[Any, int] | None:
    after = search_text(after, 300)
    if not after or "~" not in after:
        return None
    raw, _, raw_id = after.rpartition("~")
    if (key_id := optional_id(raw_id)) is None:
        return None
    try:
        if sort == "last_activity":
            return date.fromisoformat(raw), key_id
        if sort in ("newest", "oldest"):  # in UTC, as stored: SQLite compares the text
            return as_utc(datetime.fromisoformat(raw)).astimezone(UTC), key_id
    except (ValueError, OverflowError):  # not a date, or one whose UTC time is out of range
        return None
    return raw, key_id


def roster_page(f: RosterFilters, after: str | None, size: int = PAGE_SIZE) -> RosterPage:
    """One page after the key ``after`` ("value~id"): the thousandth page costs what the first does."""
    column: ColumnElement[Any] = SORTS[f.sort][0].expression
    if f.sort == "last_activity":
        column = func.coalesce(Champion.last_activity_on, NEVER_IN_SQL)
    descending = f.sort in DESCENDING
    after_key = None
    if (key := _parse_key(f.sort, after)) is not None:
        # One comparison of (sort value, id) pairs, which an index on both answers as a range: the same rows as
        # "value before, or the same value and id before", which PostgreSQL could only filter, walking every row
        # of the pages before (page 1,000 of 100,000 champions: 32 ms against 1 ms).
        key_row = tuple_(literal(key[0], column.type), literal(key[1], Champion.id.type))
        row = tuple_(column, Champion.id)
        after_key = row < key_row if descending else row > key_row
    if f.q:
        found = _search_page(f, after_key, column, descending, size + 1)
    else:
        query = filtered(f) if after_key is None else filtered(f).where(after_key)
        order = (column.desc(), Champion.id.desc()) if descending else (column.asc(), Champion.id.asc())
        found = list(db.session.execute(_rows(query).order_by(*order).limit(size + 1)))
    items = found[:size]
    more = len(found) > size
    return RosterPage(items, f"{_sort_value(f.sort, items[-1])}~{items[-1].id}" if more else None, first=key is None)


def _search_page(
    f: RosterFilters, after_key: ColumnElement[bool] | None, column: Any, descending: bool, limit: int
) -> list[Row[Any]]:
    """A page of a search: each part of the search finds its own first ``limit`` after the key, in the page's
    order, by its best index (the trigram index when few match, the sort column's when many do); the page is the
    first ``limit`` of their union."""

    def in_order(sort_key: Any, row_id: Any) -> tuple[Any, Any]:
        return (sort_key.desc(), row_id.desc()) if descending else (sort_key.asc(), row_id.asc())

    parts = []
    for part in _search_parts(f.q):
        query = filtered(f, part) if after_key is None else filtered(f, part).where(after_key)
        query = query.with_only_columns(Champion.id, column.label("sort_key"))
        parts.append(select(query.order_by(*in_order(column, Champion.id)).limit(limit).subquery()))
    found = union(*parts).subquery()
    ids = list(db.session.scalars(select(found.c.id).order_by(*in_order(found.c.sort_key, found.c.id)).limit(limit)))
    by_id = {row.id: row for row in db.session.execute(_rows(select(Champion)).where(Champion.id.in_(ids)))}
    return [by_id[i] for i in ids]


def tags_of(champion_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """Each champion's tags (their ``id`` and ``name``) by name, in one query (for a page of the roster, or one
    champion): plain rows, as a page only shows them."""
    found: dict[int, list[Row[Any]]] = {}
    if not champion_ids:
        return found
    query = (
        select(champion_tags.c.champion_id, Tag.id, Tag.name)
        .join(Tag, Tag.id == champion_tags.c.tag_id)
        .where(champion_tags.c.champion_id.in_(champion_ids))
        .order_by(Tag.name_key)
    )
    for row in db.session.execute(query):
        found.setdefault(row.champion_id, []).append(row)
    return found


def tag_choices() -> list[tuple[int, str]]:
    """(id, name) of every tag, by name: a filter's choices."""
    return [(row.id, row.name) for row in db.session.execute(select(Tag.id, Tag.name).order_by(Tag.name_key))]


# ---------------------------------------------------------------------------------------------- one champion


@dataclass
class Event:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    note_id: int | None = None  # a note's, which staff may correct


def _day(value: date) -> datetime:
    return datetime.combine(value, time(12), tzinfo=UTC)


def timeline(champion: Champion, limit: int = 200) -> list[Event]:
    """Everything that happened to one champion, newest first, from every table that records it."""
    events: list[Event] = []
    activities = select(Activity).where(Activity.champion_id == champion.id).order_by(Activity.occurred_on.desc())
    for a in db.session.scalars(activities.limit(limit)):
        what = a.type.replace("_", " ").capitalize()
        events.append(Event(_day(a.occurred_on), "Activity", what, f"{a.people_reached} people reached"))
    mine = TrainingCompletion.champion_id == champion.id
    for t in db.session.scalars(
        select(TrainingCompletion).where(mine).options(selectinload(TrainingCompletion.resource))
    ):
        events.append(Event(as_utc(t.completed_at), "Training", f"Completed “{t.resource.title}”"))
    pledges = select(PledgeAcceptance).where(PledgeAcceptance.champion_id == champion.id)
    for p in db.session.scalars(pledges.options(selectinload(PledgeAcceptance.pledge))):
        events.append(Event(as_utc(p.accepted_at), "Pledge", f"Accepted the pledge ({p.pledge.version})"))
    notes = select(ChampionNote).where(ChampionNote.champion_id == champion.id)
    for n in db.session.scalars(notes.options(selectinload(ChampionNote.author))):
        author = n.author.email if n.author else "someone"
        events.append(Event(as_utc(n.created_at), "Note", f"Note by {author}", n.body, note_id=n.id))
    for s in champion.history:
        title = f"Stage: {s.from_stage or 'new'} → {s.to_stage}"
        events.append(Event(as_utc(s.changed_at), "Stage", title, s.reason))
    for m in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == champion.user.email)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ):
        events.append(Event(as_utc(m.created_at), "Email", f"Email sent: {m.subject}"))
    # Nudges: sent ones (the email itself shows above in development), and those held back or skipped.
    nudges = (
        select(NudgeMessage, NudgeRule.name)
        .join(NudgeRule, NudgeRule.id == NudgeMessage.rule_id)
        .where(NudgeMessage.user_id == champion.user_id, NudgeMessage.status != "pending")
        .order_by(NudgeMessage.id.desc())
        .limit(limit)
    )
    for message, rule_name in db.session.execute(nudges):
        when = as_utc(message.sent_at or message.created_at)
        detail = {
            "sent": "sent",
            "holdout": "held out to measure its effect",
            "failed": message.error or "failed",
            "skipped": message.error or "skipped",
        }.get(message.status, message.status)
        events.append(Event(when, "Nudge", f"Nudge “{rule_name}”: {detail}"))
    for r in db.session.scalars(
        select(ImportRow)
        .where(ImportRow.champion_id == champion.id, ImportRow.dry_run.is_(False))
        .options(selectinload(ImportRow.job))
    ):
        title = f"{'Imported' if r.outcome == 'new' else 'Updated'} by import #{r.job_id} ({r.job.source})"
        events.append(Event(as_utc(r.job.finished_at or r.job.created_at), "Import", title, r.message or ""))
    for e in db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.target_type == "Champion",
            AuditEvent.target_id == str(champion.id),
            AuditEvent.action.in_(
                (
                    "champion.merged",
                    "champion.merged_away",
                    "champion.leader_changed",
                    "champion.details_corrected",
                    "champion.note_corrected",
                )
            ),
        )
    ):
        events.append(Event(as_utc(e.at), "Record", _audit_title(e)))
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


def _audit_title(event: AuditEvent) -> str:
    d = event.details or {}
    if event.action == "champion.merged":
        return f"Champion #{d.get('removed')} merged into this record"
    if event.action == "champion.merged_away":
        return f"Merged into champion #{d.get('kept')}"
    if event.action == "champion.details_corrected":
        return "Details corrected: " + ", ".join(FIELD_NAMES.get(f, f) for f in d.get("fields") or [])
    if event.action == "champion.note_corrected":
        return "A note was corrected"
    return "Marked as a leader" if d.get("leader") else "No longer a leader"


def equality_answers(champion: Champion) -> EqualityAnswers | None:
    """One person's special-category answers, for an admin; every viewing is audited."""
    answers = db.session.scalar(select(EqualityAnswers).where(EqualityAnswers.user_id == champion.user_id))
    audit.record("special_category.viewed", champion, answered=answers is not None)
    return answers


def add_note(champion: Champion, body: str, by_user_id: int) -> ChampionNote:
    ensure_live(champion)
    note = ChampionNote(champion_id=champion.id, author_id=by_user_id, body=body.strip())
    db.session.add(note)
    audit.record("champion.note_added", champion, actor_id=by_user_id)
    db.session.flush()
    return note


def staff_change_stage(champion: Champion, to: Stage, reason: str, by_user_id: int) -> bool:
    ensure_live(champion)
    if champion.stage == to.value:
        return False
    before = champion.stage
    change_stage(champion, to, reason.strip(), by_user_id=by_user_id)
    audit.record(
        "champion.stage_changed", champion, actor_id=by_user_id, to=to.value, reason=reason.strip(), **{"from": before}
    )
    return True


def set_leader(champion: Champion, leader: bool, by_user_id: int) -> None:
    ensure_live(champion)
    if champion.is_leader == leader:
        return
    champion.is_leader = leader
    audit.record("champion.leader_changed", champion, actor_id=by_user_id, leader=leader)
    db.session.flush()
