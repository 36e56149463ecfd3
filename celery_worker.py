"""Celery entry point: `celery -A celery_worker:celery worker` and `celery -A celery_worker:celery beat`."""

from champions import create_app

app = create_app()
celery = app.extensions["celery"]
