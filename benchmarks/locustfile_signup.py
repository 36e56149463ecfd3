"""Locust users for benchmarks/signup_surge.py: each signs up as a new champion through the public form, as a browser.

One sign-up is three requests: GET /register (the form and its CSRF token, in the session cookie's session), POST
/register with every required field and a new email address, and GET of the page the POST redirects to ("Check your
email"). The POST counts as a success only when it redirects there, and the last GET only when that page says so;
any other status, page or time-out is a failure. Completed sign-ups are the successes of the last request.

Set by the environment (benchmarks/signup_surge.py sets them):
    SURGE_TAG            the start of every email address, so each phase's accounts can be told apart
    SURGE_PACE           sign-ups a second each user starts at most (locust's constant_throughput); 0: no pause
    SURGE_TIMEOUT        seconds a request may take before it counts as failed
    SURGE_ERRORS         a file to write the failures to, once every user has stopped (JSON: one line each)
"""

from __future__ import annotations

import json
import os
import re
import uuid

from locust import FastHttpUser, constant, constant_throughput, events, task

TAG = os.environ.get("SURGE_TAG", "surge")
PACE = float(os.environ.get("SURGE_PACE", "0"))
TIMEOUT = float(os.environ.get("SURGE_TIMEOUT", "30"))
SENT_PATH = "/register/check-your-email"


@events.init.add_listener
def _on_init(environment, **kwargs) -> None:
    @environment.events.quit.add_listener
    def _write_errors(**kwargs) -> None:
        if os.environ.get("SURGE_ERRORS"):
            errors = [f"{e.name}: {e.error} ×{e.occurrences}" for e in environment.stats.errors.values()]
            with open(os.environ["SURGE_ERRORS"], "w") as f:
                json.dump(errors, f)


_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]+)"')


def csrf_token(page: str) -> str | None:
    """The CSRF token of the page's form (its hidden input's value, whatever the order of the attributes)."""
    field = _CSRF_INPUT.search(page)
    value = _VALUE.search(field.group()) if field else None
    return value.group(1) if value else None


_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_FIRST_ERROR = re.compile(r'class="nhsuk-error-summary__list".*?<a [^>]*>(.*?)</a>', re.S)


def what_page(page: str) -> str:
    """The page's heading, and its first error message if it has any: what a failure was."""
    said = [m.group(1).strip() for m in (_HEADING.search(page), _FIRST_ERROR.search(page)) if m]
    return ": ".join(said)[:160] or page[:160]


class SignUp(FastHttpUser):
    wait_time = constant_throughput(PACE) if PACE > 0 else constant(0)
    network_timeout = TIMEOUT
    connection_timeout = TIMEOUT

    def cookies(self) -> dict[str, str]:
        """The cookies set so far, to send back as a browser would: the production session cookie is Secure, which
        a browser sends over the TLS proxy in front of the app, and locust's client not at all over plain HTTP."""
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)}

    @task
    def sign_up(self) -> None:
        self.client.cookiejar.clear()  # each sign-up is a new visitor
        with self.client.get("/register", name="GET /register", catch_response=True) as form:
            token = csrf_token(form.text or "") if form.status_code == 200 else None
            if token is None:
                form.failure(f"no sign-up form (status {form.status_code})")
                return
        email = f"{TAG}-{uuid.uuid4().hex}@example.org"
        fields = {
            "csrf_token": token,
            "first_name": "Surge",
            "last_name": "Tester",
            "email": email,
            "password": f"surge {uuid.uuid4().hex[:12]} benchmark",
            "postcode": "M1 1AE",
            "borough": "manchester",
            "topics": "screening",
            "privacy_consent": "y",
        }
        with self.client.post(
            "/register",
            data=fields,
            headers=self.cookies(),
            name="POST /register",
            allow_redirects=False,
            catch_response=True,
        ) as posted:
            location = posted.headers.get("Location", "") if posted.headers else ""
            if posted.status_code != 302 or not location.endswith(SENT_PATH):
                said = what_page(posted.text or "") if posted.status_code else posted.error
                posted.failure(f"not sent on to {SENT_PATH} (status {posted.status_code}: {said})")
                return
        with self.client.get(SENT_PATH, headers=self.cookies(), name=f"GET {SENT_PATH}", catch_response=True) as sent:
            if sent.status_code != 200 or "<h1>Check your email</h1>" not in (sent.text or ""):
                sent.failure(f"not the 'Check your email' page (status {sent.status_code})")
