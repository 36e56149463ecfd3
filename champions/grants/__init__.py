"""Small Sparks micro-grants: funds, rounds, applications, reviews, awards, payments and reports."""

import logging

from flask import Blueprint

bp = Blueprint("grants", __name__, template_folder="templates")
log = logging.getLogger(__name__)
