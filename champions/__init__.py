"""Champions: a CRM for a citizen-led cancer-prevention social movement."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChainableUndefined, ChoiceLoader, PackageLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from champions.cli import register_cli
from champions.core import features, throttle
from champions.core.celery import celery_init_app
from champions.core.db import configure_postgresql, configure_sqlite
from champions.core.errors import apply_upload_limit, register_error_handlers
from champions.core.features import Feature
from champions.core.forms import MAX_INT
from champions.core.permissions import enforce_access
from champions.core.security import register_security_headers
from champions.core.templating import PageEnvironment, autoescape, register_template_helpers
from champions.extensions import csrf, db, login_manager, migrate
from config import PROJECT_ROOT, BaseConfig, load_config

# The features that make the app, each a package with a feature.py (champions/core/features.py), in layers from
# the lowest: a feature imports only core and the features in the layers below its own, never one above it or beside
# it. This is the import contract too: lint-imports checks it in bin/test (.importlinter, tests/import_contract.py).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("accounts",),
    ("profiles",),
    ("activities",),
    ("training", "network"),
    ("organisations", "evaluation"),
    ("workshops", "moments"),
    ("grants",),
    ("followups", "spread"),
    ("nudges",),
    ("privacy",),
    ("roster", "dashboards"),
    ("api",),
)
FEATURES = tuple(name for layer in LAYERS for name in layer)


def create_app(
    config: BaseConfig | str | None = None, *, extra_features: tuple[Feature, ...] = (), **overrides: Any
) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.jinja_environment = PageEnvironment  # before anything reads app.jinja_env, which makes it
    app.config.from_object(config if isinstance(config, BaseConfig) else load_config(config))
    app.config.update(overrides)
    register_url_converters(app)
    register_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_templates(app)
    features.init_app(app, [*features.load(FEATURES), *extra_features])
    register_security(app)
    register_celery(app)
    register_commands(app)
    return app


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a whole number an id column can hold, so a longer one is a page not found
    rather than an overflow in the database (a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter  # before any route is added


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, read the client's address and scheme from their X-Forwarded headers.

    Anyone can send those headers, so with no proxy configured they are ignored: otherwise a client could pick
    the address it is throttled and audited by. Behind a proxy that is not configured, everyone shares its address.
    """
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    features.load(FEATURES)  # every feature's models known to SQLAlchemy (and Alembic) before the engine starts

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, immediate=app.config["SQLITE_IMMEDIATE_TRANSACTIONS"])
        elif db.engine.dialect.name == "postgresql":
            configure_postgresql(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    app.before_request(apply_upload_limit)  # before CSRF's check reads the body
    csrf.init_app(app)
    throttle.init_app(app)


def register_templates(app: Flask) -> None:

    loaders: list[BaseLoader] = [PackageLoader("nhsuk_frontend_jinja")]
    if app.jinja_loader is not None:  # the app's own templates, searched first
        loaders.insert(0, app.jinja_loader)
    app.jinja_loader = ChoiceLoader(loaders)
    # Flask escapes only templates named .html and the like; the NHS.UK macros are .jinja files, and
    # a macro prints its parameters with its own template's setting, so escaping must not hang on names.
    app.jinja_env.autoescape = autoescape
    # The NHS.UK component templates read optional nested parameters (params.search.action).
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    register_template_helpers(app)


def register_security(app: Flask) -> None:

    app.before_request(enforce_access)
    register_security_headers(app)
    register_error_handlers(app)


def register_celery(app: Flask) -> None:

    celery_init_app(app)


def register_commands(app: Flask) -> None:

    register_cli(app)
