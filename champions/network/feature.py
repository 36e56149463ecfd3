"""Referrals: champions' links, and who recruited whom."""

from __future__ import annotations

from champions.core.features import Feature, NavItem
from champions.core.permissions import CHAMPION, PUBLIC
from champions.network import (
    bp,
    views,  # noqa: F401  (importing them adds their routes)
)

FEATURE = Feature(
    name="network",
    blueprints=(bp,),
    access={
        "network.join": PUBLIC,
        "network.my_network": CHAMPION,
        "network.qr_code": CHAMPION,
    },
    navigation=(NavItem("My network", "network.my_network", CHAMPION, 40),),
)
