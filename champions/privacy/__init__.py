"""Consent, equality monitoring, subject access export, erasure and retention."""

import logging

from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")
log = logging.getLogger(__name__)
