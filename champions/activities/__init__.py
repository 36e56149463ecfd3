"""What champions do: conversations, stalls, talks, posts, signposting, training others."""

import logging

from flask import Blueprint

bp = Blueprint("activities", __name__, template_folder="templates")
log = logging.getLogger(__name__)
