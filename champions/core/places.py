"""Places every feature asks about: UK postcodes, and Greater Manchester's boroughs and the postcode districts
each mostly covers (to suggest a borough)."""

from __future__ import annotations

import re

from champions.core.models import BOROUGH_CHOICES

# The Royal Mail postcode shapes: outward code, a space (optional when typed), inward code.
POSTCODE_RE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?|[0-9][A-HJKPS-UW])[0-9][ABD-HJLNP-UW-Z]{2})$"
)

_DISTRICTS = {
    "bolton": "BL1 BL2 BL3 BL4 BL5 BL6 BL7",
    "bury": "BL0 BL8 BL9 M25 M26 M45",
    "manchester": "M1 M2 M3 M4 M8 M9 M11 M12 M13 M14 M15 M16 M18 M19 M20 M21 M22 M23 M40 M90",
    "oldham": "OL1 OL2 OL3 OL4 OL8 OL9 M35",
    "rochdale": "OL10 OL11 OL12 OL15 OL16 M24",
    "salford": "M5 M6 M7 M27 M28 M30 M38 M44 M50",
    "stockport": "SK1 SK2 SK3 SK4 SK5 SK6 SK7 SK8 SK12",
    "tameside": "OL5 OL6 OL7 SK14 SK15 SK16 M34 M43",
    "trafford": "M17 M31 M32 M33 M41 WA14 WA15",
    "wigan": "WN1 WN2 WN3 WN4 WN5 WN6 WN7 M29 M46",
}
DISTRICT_BOROUGH = {district: borough for borough, ds in _DISTRICTS.items() for district in ds.split()}


def _compact(postcode: str | None) -> str:
    return re.sub(r"\s+", "", postcode or "").upper()


def outward_code(postcode: str) -> str:
    compact = _compact(postcode)
    return compact[:-3] if len(compact) > 3 else compact


def suggest_borough(postcode: str) -> str | None:
    return DISTRICT_BOROUGH.get(outward_code(postcode))


def normalise_postcode(value: str) -> str:
    compact = _compact(value)
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def borough_choices(placeholder: str | None = None) -> list[tuple[str, str]]:
    """The boroughs as (code, name) choices by name, after an empty ``placeholder`` choice when given."""
    return [("", placeholder), *BOROUGH_CHOICES] if placeholder else list(BOROUGH_CHOICES)
