"""A staff member's saved searches: the filters of a long list (the roster, the organisations, the audit log) kept
under a name, shown as links beside that list's filters. Each belongs to one person: nobody else sees or opens it.

A list that offers them registers itself (``register``) with the filter keys its page reads and a check of their
values. A search is stored as its query string, checked when saved (only the list's own keys, each once, values its
page accepts) and again when opened (a list's filters may have changed since). Services flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from champions.core import merging
from champions.core.db import now_utc
from champions.core.errors import Refused
from champions.core.forms import CONTROL
from champions.core.permissions import PUBLIC, rule_for
from champions.extensions import Model, db

NAME_MAX = 80
QUERY_MAX = 2000
PER_LIST_MAX = 50


class SavedSearch(Model):
    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "list_name", "name", name="uq_saved_searches_user_list_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    list_name: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    query: Mapped[str] = mapped_column(String(QUERY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


# A merge of two logins: the kept person's saved searches are theirs; the merged-away login's stay with it (closed).
MERGES: merging.Declarations = merging.stays(
    "users", "saved_searches.user_id", "a staff member's own shortcuts stay with the login that saved them"
)


@dataclass(frozen=True)
class SearchList:
    """A list whose filters can be saved: its page (``endpoint``), the keys it reads, and a check of their values
    (the problems, by key; none: fine)."""

    name: str
    title: str
    endpoint: str
    keys: tuple[str, ...]
    check: Callable[[Mapping[str, str]], Mapping[str, str]] = lambda args: {}


LISTS: dict[str, SearchList] = {}


def register(search_list: SearchList) -> None:
    LISTS[search_list.name] = search_list


class SearchProblem(Refused):
    """A search that cannot be saved or opened; ``field`` is the form field the message belongs by."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


def search_list(name: str | None, role: str) -> SearchList:
    """The list called ``name``, if a person with ``role`` may open it."""
    found = LISTS.get(name or "")
    rule = rule_for(found.endpoint) if found is not None else None
    if found is None or rule is None or (rule != PUBLIC and role not in rule):
        raise SearchProblem("This list's filters cannot be saved", "list_name")
    return found


def checked_query(search_list: SearchList, query: str) -> str:
    """``query`` as it is stored: its filters in the list's order, blanks left out. ``SearchProblem`` for a key the
    list does not know, a key given twice, a value its page refuses, or no filter at all."""
    if len(query) > QUERY_MAX:
        raise SearchProblem("These filters are too long to save", "query")
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(CONTROL.search(key + value) for key, value in pairs):
        raise SearchProblem("Remove the control characters (such as NUL) from the filters", "query")
    unknown = sorted({key for key, _ in pairs} - set(search_list.keys))
    if unknown:
        raise SearchProblem(f"{search_list.title} has no filter called {', '.join(unknown)[:100]}", "query")
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise SearchProblem("Each filter can be given only once", "query")
    args = {key: value for key, value in pairs if value.strip()}
    if not args:
        raise SearchProblem("Choose some filters first: there is nothing to save", "query")
    problems = search_list.check(args)
    if problems:
        raise SearchProblem("; ".join(problems.values()), "query")
    return urlencode([(key, args[key]) for key in search_list.keys if key in args])


def mine(user_id: int, list_name: str | None = None) -> list[SavedSearch]:
    query = select(SavedSearch).where(SavedSearch.user_id == user_id)
    if list_name is not None:
        query = query.where(SavedSearch.list_name == list_name)
    return list(db.session.scalars(query.order_by(SavedSearch.list_name, SavedSearch.name, SavedSearch.id)))


def my_search(user_id: int, search_id: int) -> SavedSearch | None:
    """One of ``user_id``'s own saved searches; None for anyone else's (or none)."""
    saved = db.session.get(SavedSearch, search_id)
    return saved if saved is not None and saved.user_id == user_id else None


def _check_name(user_id: int, list_name: str, name: str, but: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise SearchProblem("Enter a name for the search")
    if len(name) > NAME_MAX:
        raise SearchProblem(f"The name must be {NAME_MAX} characters or fewer")
    same = select(SavedSearch.id).where(
        SavedSearch.user_id == user_id, SavedSearch.list_name == list_name, SavedSearch.name == name
    )
    if db.session.scalar(same.where(SavedSearch.id != but) if but else same) is not None:
        raise SearchProblem("You already have a saved search with this name. Choose another name")
    return name


def save_search(user_id: int, role: str, list_name: str, name: str, query: str) -> SavedSearch:
    found = search_list(list_name, role)
    stored = checked_query(found, query)
    name = _check_name(user_id, found.name, name)
    kept = select(func.count()).where(SavedSearch.user_id == user_id, SavedSearch.list_name == found.name)
    if (db.session.scalar(kept) or 0) >= PER_LIST_MAX:
        raise SearchProblem(f"You can keep up to {PER_LIST_MAX} saved searches for a list. Delete one first")
    saved = SavedSearch(user_id=user_id, list_name=found.name, name=name, query=stored)
    _flush_unique(lambda: db.session.add(saved))
    return saved


def rename_search(saved: SavedSearch, name: str) -> None:
    name = _check_name(saved.user_id, saved.list_name, name, but=saved.id)
    _flush_unique(lambda: setattr(saved, "name", name))


def _flush_unique(change: Callable[[], object]) -> None:
    """Make ``change`` and flush it; the same name saved at the same moment in another tab is refused, not a 500."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        raise SearchProblem("You already have a saved search with this name. Choose another name") from None


def delete_search(saved: SavedSearch) -> None:
    db.session.delete(saved)
    db.session.flush()


def opened_query(saved: SavedSearch, role: str) -> tuple[SearchList, str]:
    """The list and the query to open it with, checked again (``SearchProblem`` when it no longer works, or the
    person may no longer open the list)."""
    found = search_list(saved.list_name, role)
    return found, checked_query(found, saved.query)
