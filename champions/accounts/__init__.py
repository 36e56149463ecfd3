"""Users, roles, sign-in and champion sign-up."""

import logging

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")
log = logging.getLogger(__name__)
