"""Training resources, completions and the champion pledge."""

import logging

from flask import Blueprint

bp = Blueprint("training", __name__, template_folder="templates")
log = logging.getLogger(__name__)
