"""How the movement spreads: the network of champions (who recruited whom, who met at a workshop, who belongs to the
same organisation), each champion's place in it (hubs, gatekeepers, pulsetakers, boundary spanners), and the spread
figures (the reproduction number R, chains, homophily, borough-to-borough flows, three degrees of influence)."""

import logging

from flask import Blueprint

bp = Blueprint("spread", __name__, template_folder="templates")
log = logging.getLogger(__name__)
