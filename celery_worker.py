"""Celery entry point: `celery -A celery_worker worker` and `celery -A celery_worker beat`."""

from champions import create_app

app = create_app()
celery = app.extensions["celery"]
