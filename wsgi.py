"""WSGI entry point: `gunicorn wsgi:app`."""

from champions import create_app

app = create_app()
