"""The check on the core training: knowledge and confidence before it, straight after it and eight weeks later."""

import logging

from flask import Blueprint

bp = Blueprint("evaluation", __name__, template_folder="templates")
log = logging.getLogger(__name__)
