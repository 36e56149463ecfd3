"""Workshops: attendance, sign-ups and waiting lists, co-design outputs, reminders and calendars."""

import logging

from flask import Blueprint

bp = Blueprint("workshops", __name__, template_folder="templates")
log = logging.getLogger(__name__)
