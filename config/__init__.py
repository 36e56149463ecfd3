"""Configuration classes, filled from environment variables.

`CHAMPIONS_ENV` picks the class: ``development`` (the default: an embedded stack
that needs nothing installed), ``production`` or ``testing``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(SystemExit):
    """Raised when the app must not start; SystemExit prints just the message."""


def _instance_dir() -> Path:
    path = Path(os.environ.get("CHAMPIONS_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(f"{name} must be a whole number, not {value!r}.")
    return int(value)


def _persistent_dev_secret(instance: Path) -> str:
    # A development key kept in instance/ so that sessions survive a restart.
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _threesixty_prefix() -> str:
    """The publisher prefix 360Giving issued (without the leading ``360G-``): letters, digits and inner hyphens."""
    value = os.environ.get("THREESIXTYGIVING_PREFIX", "champions")
    if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", value):
        raise ConfigError(
            "THREESIXTYGIVING_PREFIX must be letters and digits (hyphens between them), such as 'gmcancer', "
            f"not {value!r}."
        )
    return value


def _org_ids(name: str) -> dict[str, str]:
    """``Funder name=ORG-ID;Another funder=ORG-ID``: a funder organisation's 360Giving org identifier, by its name."""
    ids: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in os.environ.get(name, "").split(";"))):
        funder, sep, org_id = pair.rpartition("=")
        if not (sep and funder.strip() and re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9.]+)+", org_id.strip())):
            raise ConfigError(f"{name} must be 'Funder name=GB-CHC-1234567' pairs separated by ';', not {pair!r}.")
        ids[funder.strip()] = org_id.strip()
    return ids


def every_seconds(name: str, default: int) -> Callable[[], timedelta]:
    """An interval for the beat schedule set by the environment variable ``name`` (whole seconds), read when the
    app starts (champions/core/features.py, ``Beat``)."""
    return lambda: timedelta(seconds=_whole_number(name, default))


class BaseConfig:
    SERVICE_NAME = "Champions"
    PASSWORD_HASH_COST: dict[str, int] | None = None  # Argon2id's parameters; None: argon2-cffi's (RFC 9106)
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Throttling (champions/core/throttle.py): counts in the database, or in Redis when THROTTLE_REDIS_URL is set.
    # Rates are "N per [M] second/minute/hour/day", in fixed windows. Failed sign-ins are counted per email
    # address typed (known or not) and per client address; a success is not a failure.
    THROTTLE_ENABLED = os.environ.get("THROTTLE_ENABLED", "true").lower() in ("1", "true", "yes")
    THROTTLE_REDIS_URL = ""
    SIGN_IN_FAILURES_PER_ACCOUNT_RATE = os.environ.get("SIGN_IN_FAILURES_PER_ACCOUNT_RATE", "10 per 15 minutes")
    SIGN_IN_FAILURES_PER_ADDRESS_RATE = os.environ.get("SIGN_IN_FAILURES_PER_ADDRESS_RATE", "50 per 15 minutes")
    # A workshop room signs up together on one Wi-Fi: an hour's sign-ups from one address, not a minute's.
    SIGN_UPS_PER_ADDRESS_RATE = os.environ.get("SIGN_UPS_PER_ADDRESS_RATE", "60 per hour")
    RESET_EMAILS_PER_ACCOUNT_RATE = os.environ.get("RESET_EMAILS_PER_ACCOUNT_RATE", "3 per hour")
    RESET_REQUESTS_PER_ADDRESS_RATE = os.environ.get("RESET_REQUESTS_PER_ADDRESS_RATE", "30 per hour")
    VERIFY_EMAILS_PER_ACCOUNT_RATE = os.environ.get("VERIFY_EMAILS_PER_ACCOUNT_RATE", "3 per hour")
    API_REQUESTS_PER_TOKEN_RATE = os.environ.get("API_REQUESTS_PER_TOKEN_RATE", "600 per minute")
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (the README's TLS proxy: 1).
    # 0 trusts no such header, as anyone can send one.
    TRUSTED_PROXIES = _whole_number("TRUSTED_PROXIES", 0)
    CHAMPION_TARGET = 20_000
    LAPSE_AFTER_DAYS = _whole_number("LAPSE_AFTER_DAYS", 60)
    RETENTION_UNVERIFIED_DAYS = _whole_number("RETENTION_UNVERIFIED_DAYS", 30)
    RETENTION_WITHDRAWN_DAYS = _whole_number("RETENTION_WITHDRAWN_DAYS", 365)
    # The stored file of a finished import or export is emptied this many days after the job ended.
    RETENTION_FILES_DAYS = _whole_number("RETENTION_FILES_DAYS", 7)
    NUDGE_WEEKLY_CAP = _whole_number("NUDGE_WEEKLY_CAP", 2)
    NUDGE_BATCH_SIZE = 100
    # How long one delivery run may hold its lease; a run stops taking new messages at half of it.
    NUDGE_DELIVERY_LEASE_SECONDS = _whole_number("NUDGE_DELIVERY_LEASE_SECONDS", 300)
    # A background job not heard from for this long is taken to have lost its worker, and is re-queued.
    WORK_LEASE_SECONDS = _whole_number("WORK_LEASE_SECONDS", 300)
    BEAT_LEASE_SECONDS = _whole_number("BEAT_LEASE_SECONDS", 30)
    IMPORT_EMAIL_BATCH = _whole_number("IMPORT_EMAIL_BATCH", 50)
    NUDGE_QUIET_FROM = 21  # no nudges from 21:00 …
    NUDGE_QUIET_UNTIL = 8  # … until 08:00, UK time
    MAIL_BACKEND = "outbox"
    MAIL_FROM = os.environ.get("MAIL_FROM", "Champions <champions@localhost>")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _whole_number("SMTP_PORT", 587)
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "true").lower() in ("1", "true", "yes")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Who holds champions' data and answers for it (the data controller), named in each person's data export.
    CONTROLLER_NAME = os.environ.get("CONTROLLER_NAME", "The Champions programme team")
    CONTROLLER_CONTACT = os.environ.get("CONTROLLER_CONTACT", "privacy@champions.example")
    # The data protection officer, named in the privacy notice with the controller.
    DPO_CONTACT = os.environ.get("DPO_CONTACT", "dpo@champions.example")
    # 360Giving files of a round's or a fund's awards (champions/grants/services/threesixty.py): each grant is
    # 360G-<prefix>-<application id>; the publisher, and each fund's funder organisation by its name, have an org
    # identifier (an unlisted funder gets 360G-<prefix>-funder-<its name>); the data's open licence.
    THREESIXTYGIVING_PREFIX = _threesixty_prefix()
    THREESIXTYGIVING_PUBLISHER_NAME = os.environ.get("THREESIXTYGIVING_PUBLISHER_NAME", "Champions programme")
    THREESIXTYGIVING_PUBLISHER_ID = os.environ.get("THREESIXTYGIVING_PUBLISHER_ID", "")  # empty: 360G-<prefix>
    THREESIXTYGIVING_FUNDER_IDS = _org_ids("THREESIXTYGIVING_FUNDER_IDS")
    THREESIXTYGIVING_LICENSE = os.environ.get(
        "THREESIXTYGIVING_LICENSE", "https://creativecommons.org/licenses/by/4.0/"
    )
    NODE_MODULES = Path(os.environ.get("CHAMPIONS_NODE_MODULES", PROJECT_ROOT / "node_modules"))
    HSTS = False
    # SQLite only: take the write lock when a transaction begins, so concurrent writers queue.
    SQLITE_IMMEDIATE_TRANSACTIONS = True

    @classmethod
    def celery(cls, broker: str, backend: str | None, **extra) -> dict:
        conf = {
            "broker_url": broker,
            "result_backend": backend,
            "task_ignore_result": True,
            "task_serializer": "json",
            "result_serializer": "json",
            "accept_content": ["json"],
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "Europe/London",
            "enable_utc": True,
            # One beat at a time: a second one waits for the first's lease in the database (core/beat.py).
            "beat_scheduler": "champions.core.beat:LeasedScheduler",
            "beat_max_interval": 10,  # how often beat wakes, so it renews its lease well within its length
        }
        conf.update(extra)
        return conf


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"

    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = instance
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _persistent_dev_secret(instance)
        self.SQLALCHEMY_DATABASE_URI = _sqlalchemy_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'champions.sqlite'}"
        )
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_SECURE = False
        redis_url = os.environ.get("REDIS_URL")
        broker = redis_url or f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
        self.CELERY = self.celery(
            broker,
            None,
            beat_schedule_filename=str(instance / "celerybeat-schedule"),
        )
        if redis_url:
            self.THROTTLE_REDIS_URL = redis_url
        self.MAIL_BACKEND = "smtp" if self.SMTP_HOST else "outbox"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    HSTS = True
    REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_HOST")

    def __init__(self) -> None:
        missing = [name for name in self.REQUIRED if not os.environ.get(name)]
        if missing:
            raise ConfigError(
                f"Champions will not start in production: set {', '.join(missing)} (see README, 'Production')."
            )
        self.INSTANCE_DIR = _instance_dir()
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = _sqlalchemy_url(os.environ["DATABASE_URL"])
        redis_url = os.environ["REDIS_URL"]
        self.CELERY = self.celery(
            redis_url, None, beat_schedule_filename=str(self.INSTANCE_DIR / "celerybeat-schedule")
        )
        self.THROTTLE_REDIS_URL = redis_url
        self.MAIL_BACKEND = "smtp"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    THROTTLE_ENABLED = False  # tests that throttle turn it on
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SECRET_KEY = "testing-only-not-secret"
    # Argon2id at its smallest cost: the suite signs in hundreds of times (the app's own cost is the default).
    PASSWORD_HASH_COST = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = instance
        self.SQLALCHEMY_DATABASE_URI = _sqlalchemy_url(
            os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.sqlite'}"
        )
        # The worker tests send real mail to a test SMTP server, at any hour.
        self.MAIL_BACKEND = os.environ.get("TEST_MAIL_BACKEND", "outbox")
        self.NUDGE_QUIET_FROM = _whole_number("TEST_NUDGE_QUIET_FROM", 21)
        self.NUDGE_QUIET_UNTIL = _whole_number("TEST_NUDGE_QUIET_UNTIL", 8)
        # Unit tests run tasks eagerly; the worker tests point both sides at a real broker.
        broker = os.environ.get("TEST_CELERY_BROKER_URL")
        if broker:
            self.CELERY = self.celery(
                broker,
                None,
                task_default_queue=os.environ.get("TEST_CELERY_QUEUE", "celery"),
                beat_schedule_filename=str(instance / "celerybeat-schedule"),
            )
        else:
            self.CELERY = self.celery("memory://", None, task_always_eager=True, task_eager_propagates=True)


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestingConfig}


def load_config(name: str | None = None) -> BaseConfig:
    name = name or os.environ.get("CHAMPIONS_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"CHAMPIONS_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.") from None
