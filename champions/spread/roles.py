"""Who the hubs, gatekeepers, pulsetakers and boundary spanners are: each role in plain words, and the thresholds
a run gave it (shown to staff with the page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from champions.spread.graph import Measures

TOP_SHARE = 5  # per cent: hubs and gatekeepers are the top 5% of the connected champions
PULSE_TOP_SHARE = 10  # per cent: pulsetakers reach the top 10% at three steps ...
PULSE_MAX_TIES = 3  # ... through at most this many direct ties
MIN_HUB_TIES = 5
SPAN_TOP_SHARE = 10  # boundary spanners: the top 10% by boroughs and organisations their ties reach ...
SPAN_MIN = 3  # ... and at least 3 of them, other than their own


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    plain: str  # what it means, for the page


ROLE_LIST = (
    Role(
        "hub",
        "Hub",
        "Has many direct ties: among the {top}% of connected champions with the most ties, and at least "
        "{min_ties} ties (this run: {hub_ties} ties or more).",
    ),
    Role(
        "gatekeeper",
        "Gatekeeper",
        "Links parts of the network that would otherwise be far apart: among the {top}% of connected champions "
        "on the most shortest paths between other people (betweenness of {gate_betweenness} or more this run).",
    ),
    Role(
        "pulsetaker",
        "Pulsetaker",
        "Has most influence through the fewest direct contacts: at most {pulse_ties} direct ties, yet among the "
        "{pulse_top}% who reach the most people within three steps ({pulse_reach} people or more this run).",
    ),
    Role(
        "spanner",
        "Boundary spanner",
        "Has ties across social and organisational boundaries: among the {span_top}% whose ties reach the most "
        "boroughs and organisations other than their own, and at least {span_min} of them ({span_crossings} or "
        "more this run).",
    ),
)
ROLE_NAMES = {role.key: role.name for role in ROLE_LIST}


def _at_least_top(values: list[float], share: int) -> float:
    """The smallest value among the top ``share`` per cent of ``values`` (empty: infinity, so no one qualifies)."""
    if not values:
        return float("inf")
    ranked = sorted(values, reverse=True)
    return ranked[max(1, len(ranked) * share // 100) - 1]


def thresholds(m: Measures) -> dict[str, Any]:
    connected = [i for i, ties in enumerate(m.ties) if ties > 0]
    most = _at_least_top([m.ties[i] for i in connected], TOP_SHARE)
    gate = _at_least_top([m.betweenness[i] for i in connected if m.betweenness[i] > 0], TOP_SHARE)
    pulse = _at_least_top([m.reach_3[i] for i in connected], PULSE_TOP_SHARE)
    span = _at_least_top([_crossings(m, i) for i in connected], SPAN_TOP_SHARE)
    return {
        "top": TOP_SHARE,
        "min_ties": MIN_HUB_TIES,
        "hub_ties": max(MIN_HUB_TIES, int(most)) if most != float("inf") else None,
        "gate_betweenness": round(gate, 1) if gate != float("inf") else None,
        "pulse_ties": PULSE_MAX_TIES,
        "pulse_top": PULSE_TOP_SHARE,
        "pulse_reach": pulse if pulse != float("inf") else None,
        "span_top": SPAN_TOP_SHARE,
        "span_min": SPAN_MIN,
        "span_crossings": max(SPAN_MIN, int(span)) if span != float("inf") else None,
    }


def assign(m: Measures, limits: dict[str, Any]) -> list[dict[str, bool]]:
    gate = limits["gate_betweenness"]
    pulse = limits["pulse_reach"]
    return [
        {
            "hub": limits["hub_ties"] is not None and m.ties[i] >= limits["hub_ties"],
            "gatekeeper": gate is not None and m.betweenness[i] > 0 and round(m.betweenness[i], 1) >= gate,
            "pulsetaker": pulse is not None and 0 < m.ties[i] <= PULSE_MAX_TIES and m.reach_3[i] >= pulse,
            "spanner": limits["span_crossings"] is not None and _crossings(m, i) >= limits["span_crossings"],
        }
        for i in range(len(m.ties))
    ]


def _crossings(m: Measures, i: int) -> int:
    return m.boroughs_crossed[i] + m.organisations_crossed[i]


def explained(limits: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, name, meaning with this run's thresholds) for each role."""
    return [(role.key, role.name, role.plain.format(**limits)) for role in ROLE_LIST]
