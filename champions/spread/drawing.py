"""The pictures of the network, laid out here and drawn as SVG by the templates (no script needed).

- A champion's network to three degrees: the champion in the centre, the people one, two and three steps away on
  rings around them (at most ``CAP`` people, the nearest and best-connected first), each joined to the person
  nearer the centre through whom they were reached.
- The whole network by borough: each borough a circle (its area the champions in it) at its place on a rough map of
  Greater Manchester, and lines between boroughs as thick as the ties between them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from champions.core.models import BOROUGH_NAMES, BOROUGHS
from champions.extensions import db
from champions.profiles.models import Champion
from champions.spread.graph import Network
from champions.spread.models import ROLES
from champions.spread.queries import measures_of
from champions.spread.roles import ROLE_NAMES

CAP = 100
DEGREES = 3
RING = 115  # the radius of each ring, in the drawing's units

# A role is shown by shape and letter as well as colour; the first role a person holds (in ROLES order) is drawn.
ROLE_LOOK: dict[str, dict[str, str]] = {
    "hub": {"colour": "#005eb8", "shape": "square", "letter": "H"},
    "gatekeeper": {"colour": "#d5281b", "shape": "diamond", "letter": "G"},
    "pulsetaker": {"colour": "#330072", "shape": "triangle", "letter": "P"},
    "spanner": {"colour": "#007f3b", "shape": "hexagon", "letter": "S"},
    "": {"colour": "#768692", "shape": "circle", "letter": ""},
}
# Each borough's outline colour (the table and each person's title say the borough in words).
BOROUGH_COLOURS = dict(
    zip(
        (code for code, _, _ in BOROUGHS),
        ("#ffb81c", "#41b6e6", "#212b32", "#ae2573", "#00a499", "#7c2855", "#ed8b00", "#425563", "#78be20", "#8a1538"),
        strict=True,
    )
)


@dataclass
class Person:
    champion_id: int
    degree: int  # steps from the centre
    parent: int | None  # champion id of the person nearer the centre through whom they were reached
    borough: str
    ties: int
    name: str = ""
    roles: list[str] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0

    @property
    def role_names(self) -> str:
        return ", ".join(ROLE_NAMES[r] for r in self.roles) or "None"

    @property
    def look(self) -> dict[str, str]:
        return ROLE_LOOK[self.roles[0] if self.roles else ""]

    @property
    def letters(self) -> str:
        return "".join(ROLE_LOOK[r]["letter"] for r in self.roles)

    @property
    def borough_name(self) -> str:
        return BOROUGH_NAMES.get(self.borough, self.borough)

    @property
    def outline(self) -> str:
        return BOROUGH_COLOURS.get(self.borough, "#212b32")

    def shape_points(self, size: float) -> str:
        """The polygon of this person's shape (not a circle) around their place."""
        shape = self.look["shape"]
        corners = {"square": (4, 45), "diamond": (4, 0), "triangle": (3, -90), "hexagon": (6, 0)}[shape]
        count, start = corners
        grow = {"square": 1.25, "diamond": 1.35, "triangle": 1.5, "hexagon": 1.15}[shape]
        points = []
        for k in range(count):
            angle = math.radians(start + 360 * k / count)
            points.append(f"{self.x + size * grow * math.cos(angle):.1f},{self.y + size * grow * math.sin(angle):.1f}")
        return " ".join(points)


@dataclass
class Ego:
    centre: Person
    people: list[Person]  # the centre first, then by degree
    within: list[int]  # people at each degree 1..3, before the cap
    left_out: int

    @property
    def by_id(self) -> dict[int, Person]:
        return {p.champion_id: p for p in self.people}

    @property
    def lines(self) -> list[tuple[Person, Person]]:
        found = self.by_id
        return [(found[p.parent], p) for p in self.people if p.parent is not None and p.parent in found]


def ego(network: Network, champion_id: int, cap: int = CAP) -> Ego | None:
    """The people within three steps of a champion, the nearest and best-connected first, at most ``cap`` of them
    (the champion included); None when the champion is not in the analysis."""
    at = {cid: i for i, cid in enumerate(network.ids)}
    if champion_id not in at:
        return None
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in network.strength:
        neighbours[a].append(b)
        neighbours[b].append(a)
    start = at[champion_id]
    degree, parent = {start: 0}, {start: -1}
    rings: list[list[int]] = [[start]]
    for d in range(1, DEGREES + 1):
        ring = []
        for i in rings[-1]:
            for j in sorted(neighbours[i]):
                if j not in degree:
                    degree[j], parent[j] = d, i
                    ring.append(j)
        rings.append(ring)
    ordered = [start]
    for ring in rings[1:]:
        ordered += sorted(ring, key=lambda j: (-len(neighbours[j]), network.ids[j]))
    shown = ordered[:cap]
    people = [
        Person(
            champion_id=network.ids[i],
            degree=degree[i],
            parent=network.ids[parent[i]] if parent[i] >= 0 else None,
            borough=network.borough[i],
            ties=len(neighbours[i]),
        )
        for i in shown
    ]
    _describe(people)
    _lay_out(people)
    return Ego(people[0], people, [len(ring) for ring in rings[1:]], len(ordered) - len(shown))


def _describe(people: list[Person]) -> None:
    """Names and roles of the people shown: two queries, however many."""
    ids = [p.champion_id for p in people]
    names = {
        row.id: f"{row.first_name} {row.last_name}".strip()
        for row in db.session.execute(
            select(Champion.id, Champion.first_name, Champion.last_name).where(Champion.id.in_(ids))
        )
    }
    roles = measures_of(ids)
    for person in people:
        person.name = names.get(person.champion_id, "")
        measured = roles.get(person.champion_id)
        if measured is not None:  # the run's count of all their ties (a drawing read around one champion may not
            person.ties = measured.ties  # hold the ties of the people furthest out)
        person.roles = [r for r in ROLES if measured is not None and getattr(measured, r)]


def _lay_out(people: list[Person]) -> None:
    """A radial tree: rings around the centre, each person given a slice of the circle as wide as the people
    reached through them, so a branch stays together and its lines stay short."""
    children: dict[int, list[Person]] = defaultdict(list)
    for person in people[1:]:
        if person.parent is not None:
            children[person.parent].append(person)
    # A person nearer the centre needs a wider slice to keep the same room between people on their smaller ring.
    weight: dict[int, float] = {}
    for person in sorted(people, key=lambda p: -p.degree):  # the outermost first
        room = DEGREES / max(person.degree, 1)
        weight[person.champion_id] = max(room, sum(weight[c.champion_id] for c in children[person.champion_id]))

    def place(person: Person, start: float, width: float) -> None:
        if person.degree:
            angle = start + width / 2
            person.x = round(RING * person.degree * math.cos(angle), 1)
            person.y = round(RING * person.degree * math.sin(angle), 1)
        mine = sorted(children[person.champion_id], key=lambda c: (-weight[c.champion_id], c.champion_id))
        total = sum(weight[c.champion_id] for c in mine) or 1
        for child in mine:
            share = width * weight[child.champion_id] / total
            place(child, start, share)
            start += share

    place(people[0], -math.pi / 2, 2 * math.pi)


# --------------------------------------------------------------------------------------------------- the overview

# Where each borough sits, roughly as on a map of Greater Manchester (x east, y south), in the drawing's units.
PLACES = {
    "wigan": (90, 200),
    "bolton": (200, 110),
    "bury": (320, 80),
    "rochdale": (440, 70),
    "oldham": (500, 185),
    "salford": (240, 235),
    "manchester": (350, 270),
    "tameside": (500, 300),
    "trafford": (220, 350),
    "stockport": (410, 400),
}
BIGGEST = 42  # the radius of the borough with the most champions


def overview(figures: dict[str, Any]) -> dict[str, Any]:
    """Circles and lines for the whole network by borough, from a run's ``overview`` figures."""
    boroughs = figures.get("overview", {}).get("boroughs", [])
    between = figures.get("overview", {}).get("between", [])
    most = max((b["champions"] for b in boroughs), default=0) or 1
    heaviest = max((link["ties"] for link in between), default=0) or 1
    circles = [
        {
            **b,
            "x": PLACES[b["code"]][0],
            "y": PLACES[b["code"]][1],
            "r": round(6 + (BIGGEST - 6) * math.sqrt(b["champions"] / most), 1) if b["champions"] else 4,
        }
        for b in boroughs
        if b["code"] in PLACES
    ]
    lines = [
        {
            **link,
            "from_name": BOROUGH_NAMES.get(link["from"], link["from"]),
            "to_name": BOROUGH_NAMES.get(link["to"], link["to"]),
            "x1": PLACES[link["from"]][0],
            "y1": PLACES[link["from"]][1],
            "x2": PLACES[link["to"]][0],
            "y2": PLACES[link["to"]][1],
            "width": round(1 + 11 * link["ties"] / heaviest, 1),
        }
        for link in between
        if link["from"] in PLACES and link["to"] in PLACES
    ]
    return {"circles": circles, "lines": sorted(lines, key=lambda line: line["width"])}
