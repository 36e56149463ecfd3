"""Shared foundations: the database base, Celery wiring, email, permissions, audit, layout and errors."""

import logging

from flask import Blueprint

bp = Blueprint("core", __name__, template_folder="templates")
log = logging.getLogger(__name__)
