"""Follow-ups: who looks after a champion, an organisation or a grant application, and the tasks staff set
themselves about them."""

import logging

from flask import Blueprint

bp = Blueprint("followups", __name__, template_folder="templates")
log = logging.getLogger(__name__)
