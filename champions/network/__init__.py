"""Referral links and the recruitment network ("three degrees of influence")."""

import logging

from flask import Blueprint

bp = Blueprint("network", __name__, template_folder="templates")
log = logging.getLogger(__name__)
