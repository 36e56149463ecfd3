"""Champion profiles, stages and their history."""

import logging

from flask import Blueprint

bp = Blueprint("roster", __name__, template_folder="templates")
log = logging.getLogger(__name__)
