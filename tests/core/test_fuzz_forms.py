"""Hostile values in every form and every query filter, as the roles that may use them.

Every route in ``app.url_map`` that takes a POST (with the query arguments its view reads, such as a
sign-up link's referral code), and every GET whose view reads query arguments (found in its source,
plus the fields of the page's own GET form), is signed in as a role the
access table allows. Each field gets every hostile value below once, in len(HOSTILE) rounds per
form (field i takes value i + k in round k); when a round is refused, the values no field error
named go again with the other fields as the page offers them, so a value the form accepts reaches
the service behind it. Then the form goes as JSON, with a file in every field, and empty.

Each form is first sent as its page offers it (the page's own values, a select's chosen or first
option, a radio's first value, plausible text for empty inputs by type and name): it must be accepted,
except for the forms UNFILLABLE lists, or its hostile values would stop at its other fields' errors.

Two things must hold: no response is a 500, and a refused request (a 4xx, or the form shown again
with an error) commits nothing: every INSERT, UPDATE and DELETE committed on the engine during the
request is seen, which is what a before-and-after snapshot of every table would compare, without
reading every table around each of the ~1,700 requests.

The fields of a form are read from the pages its role sees (every <form> whose action is the
route), so a field added to a template is fuzzed without touching this file; a POST route whose
form no page showed fails the test unless it is a lone button declared in BUTTONS.
"""

from __future__ import annotations

import inspect
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from flask import got_request_exception
from sqlalchemy import event

from champions.core.permissions import PUBLIC, Role, access_rules
from champions.grants.models import Application, ReviewAssignment
from tests.conftest import MOVED_TO, is_postgres
from tests.core.test_access_matrix import sample_args
from tests.factories import PASSWORD

HUGE = "x" * 100_000
HOSTILE: dict[str, str | list[str]] = {
    "empty": "",
    "huge": HUGE,
    "nul": "a\x00b",
    "control": "a\x1b[31mb\x07",
    "unicode": "\u202eevil\u202c \U0001f389 e\u0301\u0301 \u0645\u0631\u062d\u0628\u0627",
    "big": "100000000000000000000000",
    "-big": "-100000000000000000000000",
    "1e308": "1e308",
    "nan": "NaN",
    "inf": "inf",
    "feb30": "2023-02-30",
    "year9999": "9999-12-31",
    "twice": ["1", "2"],
}
# Who signs in for a route any of several roles may use: the most powerful first.
ROLE_ORDER = [Role.ADMIN, Role.STAFF, Role.CHAMPION, Role.APPLICANT, Role.REVIEWER, Role.FUNDER]
# Routes that end the session or the account: fuzzed last, with a fresh sign-in each time.
LAST = {"accounts.logout", "privacy.erase", "privacy.withdraw"}
# POST routes whose form is a lone button the sample objects do not show (they are sent no fields anyway).
BUTTONS = {
    "api.revoke_token": "shown beside each of the person's API tokens, and they have none until they make one",
    "privacy.email_consent": "the preferences page shows the 'on' or the 'off' button, not both",
    "roster.staff_import_run": "shown once a dry run is done",
    "accounts.resend_verification": "shown to people who have not verified their address",
    "accounts.resend_sign_up": "shown once someone has just signed up",
    "accounts.verify_continue": "shown by the emailed link in the browser that signed up",
    "workshops.champion_cancel": "shown once the champion has signed up",
    "privacy.rejoin": "shown to champions who have withdrawn",
    "roster.cancel_email": "shown while a change of email address waits for its link",
    "roster.resend_email": "shown while a change of email address waits for its link",
    "accounts.confirm_email_change": "shown by the link emailed to a new address",
    "activities.activity_restore": "the Undo shown straight after the champion deletes an activity",
    "followups.task_reopen": "shown once a task is done",
    "roster.staff_remove_tag": "shown beside each tag of a champion who has tags",
    "core.saved_search_rename": "shown beside each of a person's own saved searches (tests/core/test_saved_searches)",
    "core.saved_search_delete": "shown beside each of a person's own saved searches",
}
# POST routes that end the sample object other routes use: fuzzed after the others, so they find it live.
ENDS = {"workshops.workshop_cancel", "workshops.cancel_signup", "activities.activity_delete"}
# Forms that the page's own values and plausible fillers cannot make valid, so their all-valid post is refused.
UNFILLABLE = {
    "roster.staff_imports": "its file must be a CSV of champions; the filler is a string, not an upload",
    "workshops.attendance_champion": "the email must be an existing champion's, which no page offers",
    "api.tokens": "a token's name must be typed: the page leaves it empty",
}
# Bookkeeping a refused request may write (a failed sign-in is counted, for throttling).
BOOKKEEPING = {"login_attempts", "throttle_counters", "user_sessions"}


# ---- Reading forms from pages ------------------------------------------------------------------


@dataclass
class FormSpec:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the values the page would send
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type
    page: str = ""  # the page it was read from
    firsts: dict[str, str] = field(default_factory=dict)  # name -> its first non-empty choice

    def filled(self) -> dict[str, list[str]]:
        """The fields with each empty choice made: the first real one for a placeholder ("Select a contact")."""
        return {
            name: [self.firsts[name]] if values in ([], [""]) and name in self.firsts else values
            for name, values in self.fields.items()
        }


class FormParser(HTMLParser):
    """Every <form> on a page, with the names and the values a browser would submit."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[FormSpec] = []
        self._form: FormSpec | None = None
        self._select: str | None = None
        self._multiple = False
        self._option: dict | None = None  # an <option> without a value attribute, whose text is its value
        self._textarea: str | None = None
        self._text = ""
        self._chosen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_path).path
            self._form = FormSpec(action=action, method=(a.get("method") or "get").upper())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select:  # options have no name: they belong to the open <select>
            if "value" in a:
                self._choose(self._select, a["value"], "selected" in a, many=self._multiple)
            else:
                self._option, self._text = a, ""
        elif not a.get("name"):
            return
        elif tag == "input":
            self._input(a)
        elif tag == "select":
            self._select, self._multiple = a["name"], "multiple" in a
            self._form.fields.setdefault(a["name"], [])
            self._form.kinds[a["name"]] = "select"
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
            self._form.kinds[a["name"]] = "textarea"

    def handle_data(self, data):
        if self._textarea or self._option is not None:
            self._text += data

    def _input(self, a):
        name, kind = a["name"], a.get("type", "text").lower()
        if kind in ("submit", "button", "image", "reset"):
            return
        self._form.kinds.setdefault(name, kind)
        values = self._form.fields.setdefault(name, [])
        if kind in ("checkbox", "radio"):
            self._choose(name, a.get("value", "y"), "checked" in a, many=kind == "checkbox")
        else:
            values[:] = [a.get("value") or valid_ish(name, kind, a)]

    def _choose(self, name: str, value: str, chosen: bool, many: bool):
        """What the page has chosen, else its first choice (a browser sends a select's first option; a radio or a
        checkbox gets its first value, so the other fields are valid-ish). ``FormSpec.filled`` makes empty choices."""
        values = self._form.fields.setdefault(name, [])
        if value:
            self._form.firsts.setdefault(name, value)
        if chosen:
            values[:] = [*values, value] if many and name in self._chosen else [value]
            self._chosen.add(name)
        elif name not in self._chosen and not values:
            values[:] = [value]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select:
            self._choose(self._select, self._text.strip(), "selected" in self._option, many=self._multiple)
            self._option = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            # What the page filled in (an edit form), else a plausible value.
            self._form.fields[self._textarea] = [self._text or valid_ish(self._textarea, "textarea")]
            self._textarea = None


# Values the field's name alone tells (the format a validator wants), before its type is asked.
NAMED = {
    "criteria": "Reach: 3",
    "charity_number": "1234567",
    "group_number": "1234567",  # a grant applicant's charity or company number
    "website": "https://example.org",
    "url": "https://example.org",
    "phone": "07700 900123",
    "new_email": "fuzz.new@example.org",  # an address nobody uses (the fuzzed forms make accounts with others)
}
# The test stops the app's clock at NOW; a date field gets a day after it (a round opens, a workshop starts)
# unless the input sets a max or min (an activity happened "today or earlier"), and one ending a span a later day.
NOW = datetime(2027, 1, 13, 11, 0)
LATER = re.compile(r"end|close|target")
DATE_PART = re.compile(r"-(day|month|year)$")


OPTION = re.compile(r"k\d+_option\d+$")  # an option of a training-check question


def valid_ish(name: str, kind: str, attrs: dict | None = None) -> str:
    """A plausible value for an empty field, so other fields' hostile values reach the service."""
    attrs = attrs or {}
    if named := NAMED.get(name):
        return named
    if OPTION.match(name):
        return f"Fuzz {name}"  # the options of one question must differ from each other
    if kind == "email" or "email" in name:
        return "fuzz@example.org"
    if part := DATE_PART.search(name):  # a box of a date input (Day, Month, Year): today, or a week on for an end
        day = NOW.date() + timedelta(days=7 if LATER.search(name) else 0)
        return str(getattr(day, part.group(1)))
    if kind in ("date", "datetime-local") or name.endswith(("_on", "_date", "_at")):
        day = attrs.get("max") or attrs.get("min") or ("2027-02-20" if LATER.search(name) else "2027-02-13")
        return f"{day[:10]}T10:00" if kind == "datetime-local" or name.endswith("_at") else day[:10]
    numeric = kind == "number" or attrs.get("inputmode") in ("numeric", "decimal")
    if numeric and attrs.get("min"):
        return attrs["min"]  # the smallest the page asks for: a count within another on the form (people signposted)
    if numeric or name.endswith(("_pence", "_id", "count", "minutes", "capacity")):
        return "2"
    if kind == "url":
        return "https://example.org"
    if "postcode" in name:
        return "M1 1AE"
    if "password" in name:
        return PASSWORD
    return "Fuzz"


def forms_on(response, path: str) -> list[FormSpec]:
    if not response.content_type.startswith("text/html"):
        return []
    parser = FormParser(path)
    parser.feed(response.get_data(as_text=True))
    return parser.forms


# ---- What a request wrote ----------------------------------------------------------------------


class Writes:
    """The tables a request committed rows to (INSERT, UPDATE or DELETE), seen on the engine itself.

    A refused request must commit nothing: this sees every committed change, whatever the table,
    without reading every table before and after each of the thousands of requests.
    """

    DML = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)

    def __init__(self, engine):
        self.engine = engine
        self.pending: dict[int, set[str]] = {}
        self.committed: set[str] = set()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._execute)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._execute)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    def _execute(self, conn, cursor, statement, parameters, context, executemany):
        if match := self.DML.match(statement):
            self.pending.setdefault(id(conn), set()).add(match.group(1).lower())

    def _commit(self, conn):
        self.committed |= self.pending.pop(id(conn), set())

    def _rollback(self, conn):
        self.pending.pop(id(conn), None)

    def take(self) -> list[str]:
        tables, self.committed = self.committed - BOOKKEEPING, set()
        return sorted(tables)


def refused(response) -> bool:
    """A request the app turned down: an error status, or the form shown again with its errors."""
    if response.status_code in (400, 403, 404, 405, 409, 413, 415, 422):
        return True
    return response.status_code == 200 and b"nhsuk-error-message" in response.data


# ---- Signing in ---------------------------------------------------------------------------------


def role_for(endpoint: str) -> Role | None:
    allowed = access_rules()[endpoint]
    if allowed == PUBLIC:
        return None
    return next(role for role in ROLE_ORDER if role in allowed)


class Visitor:
    """A client signed in as ``user`` (or anonymous); a new user of the same role once the session has ended."""

    def __init__(self, app, make, role: Role | None, user=None):
        self.app, self.make, self.role, self.user = app, make, role, user
        self.sign_in()

    def sign_in(self):
        self.client = self.app.test_client()
        if self.role is None:
            return
        for _ in range(2):
            self.user = self.user or self.make.user(role=self.role.value)
            response = self.client.post("/login", data={"email": self.user.email, "password": PASSWORD})
            if response.status_code == 302:
                return
            self.user = None  # erased or withdrawn by the last request: sign up someone else
        raise AssertionError(f"cannot sign in as {self.role}")

    def open(self, url, **kwargs):
        response = self.client.open(url, **kwargs)
        self.signed_out = self.role is not None and "/login" in response.headers.get("Location", "")
        return response


# ---- The objects each route is tried on, and who owns them --------------------------------------


def fuzz_setup(db, make) -> tuple[dict[str, dict], dict[Role, object]]:
    """The access matrix's sample objects, with applications in the states their forms need, and their owners."""
    from champions.accounts.tokens import reset_token
    from champions.activities.models import Activity
    from champions.nudges.tokens import unsubscribe_token
    from champions.profiles.models import Champion

    args = sample_args(db, make)
    sample = db.session.get(Application, args["grants.my_application"]["application_id"])
    applicant, fund = sample.applicant, sample.round.fund
    draft = make.application(round=sample.round, applicant=applicant)
    paid = make.application(round=sample.round, applicant=applicant, status="paid_full")
    args["grants.edit_application"] = {"application_id": draft.id}
    args["accounts.reset"] = {"token": reset_token(make.user(role="champion"))}
    args["grants.report"] = {"application_id": paid.id}
    funder = make.user(role="funder")
    fund.funders.append(funder)
    activity = db.session.get(Activity, args["activities.activity_edit"]["activity_id"])
    champion = db.session.get(Champion, activity.champion_id).user
    args["nudges.unsubscribe"] = {"token": unsubscribe_token(champion.id, "all")}
    owners = {
        Role.ADMIN: make.user(role="admin"),
        Role.CHAMPION: champion,
        Role.APPLICANT: applicant,
        Role.REVIEWER: db.session.get(ReviewAssignment, args["grants.review"]["assignment_id"]).reviewer,
        Role.FUNDER: funder,
    }
    db.session.commit()
    return args, owners


def query_args(view) -> set[str]:
    """The query-string arguments a view reads itself (filter forms it hands request.args to are read from the page)."""
    source = inspect.getsource(inspect.unwrap(view))
    if "request.args" not in source and "request.values" not in source:
        return set()
    names = set(re.findall(r'request\.(?:args|values)\.get\(\s*"(\w+)"', source))
    for group in re.findall(r'for \w+ in \(((?:\s*"\w+",?)+)\)', source):
        names |= set(re.findall(r'"(\w+)"', group))
    return names


# ---- The run ------------------------------------------------------------------------------------


class Fuzzer:
    """Sends the requests, signed in as the route's role, and keeps what went wrong."""

    def __init__(self, app, make, owners, writes: Writes):
        self.app, self.make, self.owners, self.writes = app, make, owners, writes
        self.visitors: dict[Role | None, Visitor] = {}
        self.forms: dict[tuple[Role | None, str], FormSpec] = {}
        self.failures: list[str] = []
        self.invalid: dict[str, str] = {}  # endpoint -> why its all-valid post was refused
        self.offered = 0  # forms sent as their page offers them
        self.errors: list[str] = []
        self.requests = 0

    def record(self, sender, exception, **extra):
        self.errors.append(f"{type(exception).__name__}: {str(exception)[:200]}")

    def visitor(self, role: Role | None, fresh: bool = False) -> Visitor:
        if fresh or role not in self.visitors:
            self.visitors[role] = Visitor(self.app, self.make, role, None if fresh else self.owners.get(role))
        return self.visitors[role]

    def send(self, role: Role | None, label: str, url: str, **kwargs):
        visitor = self.visitor(role)
        self.writes.take()
        response = visitor.open(url, **kwargs)
        self.requests += 1
        wrote = self.writes.take()
        if response.status_code >= 500:
            self.failures.append(f"{label}: {response.status_code} {self.errors[-1:]}")
        elif refused(response) and wrote:
            self.failures.append(f"{label}: refused ({response.status_code}) but wrote to {wrote}")
        if visitor.signed_out:
            visitor.sign_in()
        return response

    def page(self, role, url):
        response = self.send(role, f"GET {url}", url)
        for spec in forms_on(response, urlsplit(url).path):
            spec.page = url
            known = self.forms.get((role, spec.action))
            if known is None or len(spec.fields) > len(known.fields):
                self.forms[role, spec.action] = spec

    def rounds(self, label: str, names: list[str], base: dict, send) -> None:
        """Every name gets every hostile value once, in len(HOSTILE) requests (name i takes value i + k in
        round k). When a round is refused, the values no field error names go again with the other fields
        as the page offers them, so a value the form accepts reaches the service behind it."""
        values = list(HOSTILE.items())
        for k in range(len(values)):
            picked = {name: values[(i + k) % len(values)] for i, name in enumerate(names)}
            response = send({**base, **_values(picked)}, f"{label} {_keys(picked)}")
            if not refused(response):
                continue
            rejected = error_fields(response)
            accepted = {name: value for name, value in picked.items() if not _named(name, rejected)}
            if accepted and len(accepted) < len(picked):
                send({**base, **_values(accepted)}, f"{label} alone {_keys(accepted)}")

    def fresh(self, role, spec: FormSpec) -> FormSpec:
        """The form as its page offers it now: the requests before may have changed what it shows (a
        hidden fingerprint of the records, the choices of a select)."""
        response = self.send(role, f"GET {spec.page} again", spec.page)
        now = next((f for f in forms_on(response, urlsplit(spec.page).path) if f.action == spec.action), None)
        if now is None or now.method != spec.method:
            return spec
        fields, kinds, firsts = (
            {**spec.fields, **now.fields},
            {**spec.kinds, **now.kinds},
            {**spec.firsts, **now.firsts},
        )
        return FormSpec(spec.action, spec.method, fields, kinds, spec.page, firsts)

    def baseline(self, endpoint: str, response) -> None:
        """Keeps why a form sent as the page offers it (every field valid) was refused."""
        if refused(response):
            self.invalid[endpoint] = f"{response.status_code} {sorted(error_fields(response) - {'maincontent'})}"
        self.offered += 1

    def query(self, role, url, names):
        def send(args, label):
            return self.send(role, label, f"{url}?{urlencode(args, doseq=True)}")

        self.rounds(f"GET {url}", sorted(names), {}, send)

    def post(self, endpoint: str, role, url, spec: FormSpec | None, query: set[str] = frozenset()):
        """The form's fields, and the query arguments the view reads (named "?name" in the rounds), such as
        the referral code a sign-up link carries."""
        fields = dict(spec.fields) if spec else {}

        def send(data, label):
            args = {name[1:]: data.pop(name) for name in list(data) if name.startswith("?")}
            target = f"{url}?{urlencode(args, doseq=True)}" if args else url
            return self.send(role, label, target, method="POST", data=data)

        if fields:
            response = send({**fields}, f"POST {url} as the page offers it")
            if refused(response) and spec.filled() != fields:
                # An empty choice left as the page offers it (a placeholder) is made, and the other fields
                # go with that from now on.
                fields = spec.filled()
                response = send({**fields}, f"POST {url} with each choice made")
            self.baseline(endpoint, response)
        if fields or query:
            self.rounds(f"POST {url}", [*fields, *sorted(f"?{name}" for name in query)], fields, send)
        flat = json.dumps({name: values[0] if values else "" for name, values in fields.items()})
        self.send(role, f"POST {url} as JSON", url, method="POST", data=flat, content_type="application/json")
        files = {name: (io.BytesIO(b"\x00\xff" * 10), "x\x00.csv") for name in [*fields, "file"]}
        self.send(role, f"POST {url} as files", url, method="POST", data=files, content_type="multipart/form-data")
        self.send(role, f"POST {url} empty", url, method="POST")


def _values(picked: dict) -> dict:
    return {name: value for name, (_, value) in picked.items()}


def _keys(picked: dict) -> str:
    return ", ".join(f"{name}={key}" for name, (key, _) in picked.items())[:300]


def error_fields(response) -> set[str]:
    """The fields a re-shown form marks as wrong (the error summary's links and the inputs styled as errors)."""
    body = response.get_data(as_text=True)
    return set(re.findall(r'href="#([^"]+)"', body)) | set(
        re.findall(r'<(?:input|select|textarea)[^>]*--error[^>]*name="([^"]+)"', body)
    )


def _named(name: str, rejected: set[str]) -> bool:
    return any(item == name or item.startswith(f"{name}-") for item in rejected)


def ordered_rules(app):
    # The JSON API's routes take no form (and no session): tests/api/test_schemathesis.py sends them hostile JSON.
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint not in ("static", "core.assets") and not r.rule.startswith("/api/")
    ]
    return sorted(rules, key=lambda r: (r.endpoint in LAST, r.endpoint in ENDS, "GET" not in r.methods, r.rule))


@pytest.mark.postgres_pass
def test_no_hostile_value_causes_a_500_and_a_refusal_changes_nothing(app, db, make, monkeypatch, clock):
    if MOVED_TO and not is_postgres(app):
        pytest.skip("sets its own clock (NOW), so a second SQLite pass on a moved clock would repeat the first exactly")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # a 500 is counted, not raised
    clock.set(NOW)
    args, owners = fuzz_setup(db, make)
    with Writes(db.engine) as writes:
        fuzzer = Fuzzer(app, make, owners, writes)
        got_request_exception.connect(fuzzer.record, app)
        try:
            unseen = run(app, fuzzer, args)
        finally:
            got_request_exception.disconnect(fuzzer.record, app)
    print(
        f"{fuzzer.requests} requests; {fuzzer.offered - len(fuzzer.invalid)} of {fuzzer.offered} forms valid as offered"
    )
    assert not fuzzer.failures, "\n".join([f"{len(fuzzer.failures)} problems:", *fuzzer.failures])
    # Otherwise a form's hostile values stop at its other fields' errors and never reach the service.
    assert set(fuzzer.invalid) == set(UNFILLABLE), f"forms refused as their page offers them: {fuzzer.invalid}"
    assert set(unseen) <= set(BUTTONS), f"POST routes whose form no page showed: {sorted(set(unseen) - set(BUTTONS))}"


def run(app, fuzzer: Fuzzer, args) -> list[str]:
    rules = ordered_rules(app)
    for rule in rules:
        if "GET" in rule.methods and rule.endpoint not in LAST:
            role, url = role_for(rule.endpoint), rule.build(args.get(rule.endpoint, {}))[1]
            fuzzer.page(role, url)
            if names := query_args(app.view_functions[rule.endpoint]) | filter_fields(fuzzer, role, url):
                fuzzer.query(role, url, names)
    unseen = []
    for rule in rules:
        if "POST" not in rule.methods:
            continue
        role, url = role_for(rule.endpoint), rule.build(args.get(rule.endpoint, {}))[1]
        if rule.endpoint in LAST:
            fuzzer.visitor(role, fresh=True)
        spec = fuzzer.forms.get((role, urlsplit(url).path))
        if spec is None or spec.method != "POST":
            unseen.append(rule.endpoint)
            spec = None
        else:
            spec = fuzzer.fresh(role, spec)
        fuzzer.post(rule.endpoint, role, url, spec, query_args(app.view_functions[rule.endpoint]))
    return unseen


def filter_fields(fuzzer: Fuzzer, role, url) -> set[str]:
    """The fields of a page's own GET form: the filters of a list."""
    spec = fuzzer.forms.get((role, urlsplit(url).path))
    return set(spec.fields) if spec and spec.method == "GET" else set()
