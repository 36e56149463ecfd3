"""Celery wired as the Flask documentation shows: one app, tasks run inside the Flask app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

TASK_PACKAGES = [
    "champions.accounts",
    "champions.dashboards",
    "champions.core",
    "champions.privacy",
    "champions.roster",
    "champions.nudges",
    "champions.workshops",
    "champions.grants",
]
# Task modules not called tasks.py, which autodiscovery would miss: a worker must import them itself, or a
# task queued by the web process arrives at a worker that does not know it.
TASK_MODULES = ["champions.accounts.admin_tasks", "champions.core.pending_email", "champions.roster.staff_tasks"]


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            # A fresh app context gives the task its own database session,
            # even when it runs eagerly inside a request.
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    celery_app.autodiscover_tasks(TASK_PACKAGES)
    celery_app.conf.include = [*celery_app.conf.include, *TASK_MODULES]
    celery_app.flask_app = app  # for beat's scheduler, which runs outside any task
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue(task: Task, *args: object) -> None:
    """Queue ``task`` with JSON-safe ids once the current request's transaction commits."""
    from champions.core.db import after_commit
    from champions.extensions import db

    after_commit(db.session(), task.delay, *args)
