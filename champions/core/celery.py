"""Celery wired as the Flask documentation shows: one app, tasks run inside the Flask app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from champions.core.db import after_commit
from champions.extensions import db


class FlaskCelery(Celery):
    """A Celery app that knows the Flask app it serves: beat's scheduler runs outside any task and needs it."""

    flask_app: Flask


def celery_init_app(app: Flask) -> FlaskCelery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            # A fresh app context gives the task its own database session,
            # even when it runs eagerly inside a request.
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = FlaskCelery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    # Every feature names its task modules: a worker imports them all, or a task queued by the web process would
    # arrive at a worker that does not know it.
    registry = app.extensions["features"]
    celery_app.conf.include = [*celery_app.conf.include, *registry.task_modules]
    celery_app.conf.beat_schedule = registry.beat_schedule()
    celery_app.flask_app = app
    app.extensions["celery"] = celery_app
    return celery_app


def enqueue(task: Task, *args: object) -> None:
    """Queue ``task`` with JSON-safe ids once the current request's transaction commits."""

    after_commit(db.session(), task.delay, *args)
