"""Nudges: rules that find who is due a reminder, messages sent once per rule and period, unsubscribe."""

import logging

from flask import Blueprint

bp = Blueprint("nudges", __name__, template_folder="templates")
log = logging.getLogger(__name__)
