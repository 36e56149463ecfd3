"""Dashboard snapshots computed by background jobs, and the pages that read them."""

import logging

from flask import Blueprint

bp = Blueprint("dashboards", __name__, template_folder="templates")
log = logging.getLogger(__name__)
