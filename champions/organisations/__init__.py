"""The register of engaged organisations and the individuals in them."""

import logging

from flask import Blueprint

bp = Blueprint("organisations", __name__, template_folder="templates")
log = logging.getLogger(__name__)
