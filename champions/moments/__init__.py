"""The social-moments calendar: recurring and one-off opportunities for change."""

import logging

from flask import Blueprint

bp = Blueprint("moments", __name__, template_folder="templates")
log = logging.getLogger(__name__)
