"""The workshop pages, one module per group; importing them adds their routes to the blueprint."""

from champions.workshops.views import attendance, champion_pages, outputs, register  # noqa: F401
