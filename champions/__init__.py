"""Champions: a CRM for a citizen-led cancer-prevention social movement."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from config import PROJECT_ROOT, BaseConfig, load_config


def create_app(config: BaseConfig | str | None = None, **overrides: Any) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config if isinstance(config, BaseConfig) else load_config(config))
    app.config.update(overrides)
    register_logging(app)
    register_proxies(app)
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_security(app)
    register_celery(app)
    register_commands(app)
    return app


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
    from champions import models  # noqa: F401  (every model known to SQLAlchemy and Alembic)
    from champions.core import throttle
    from champions.core.db import configure_postgresql, configure_sqlite
    from champions.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, immediate=app.config["SQLITE_IMMEDIATE_TRANSACTIONS"])
        elif db.engine.dialect.name == "postgresql":
            configure_postgresql(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    throttle.init_app(app)


def register_templates(app: Flask) -> None:
    from champions.core.templating import autoescape, register_template_helpers

    app.jinja_loader = ChoiceLoader([app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")])
    # Flask escapes only templates named .html and the like; the NHS.UK macros are .jinja files, and
    # a macro prints its parameters with its own template's setting, so escaping must not hang on names.
    app.jinja_env.autoescape = autoescape
    # The NHS.UK component templates read optional nested parameters (params.search.action).
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    register_template_helpers(app)


def register_blueprints(app: Flask) -> None:
    # Staff CRM pages live in modules of their own, adding routes to the blueprints below.
    for name in ("roster.staff_views", "accounts.admin_views", "core.audit_views", "training.staff_views"):
        __import__(f"champions.{name}")
    from champions import (
        accounts,
        activities,
        core,
        dashboards,
        grants,
        moments,
        network,
        nudges,
        organisations,
        privacy,
        roster,
        training,
        workshops,
    )

    modules = (
        core,
        accounts,
        roster,
        training,
        activities,
        network,
        privacy,
        nudges,
        organisations,
        workshops,
        moments,
        grants,
        dashboards,
    )
    for module in modules:
        __import__(f"{module.__name__}.views")
        app.register_blueprint(module.bp)


def register_security(app: Flask) -> None:
    from champions.core.errors import register_error_handlers
    from champions.core.permissions import enforce_access
    from champions.core.security import register_security_headers

    app.before_request(enforce_access)
    register_security_headers(app)
    register_error_handlers(app)


def register_celery(app: Flask) -> None:
    from champions.core.celery import celery_init_app

    celery_init_app(app)


def register_commands(app: Flask) -> None:
    from champions.cli import register_cli

    register_cli(app)
