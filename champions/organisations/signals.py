"""Where other features add to the organisation pages (blinker signals, sent with the organisation as sender)."""

from blinker import Namespace

_signals = Namespace()

detail_sections = _signals.signal(
    "organisation-detail-sections",
    doc="Sections for the end of an organisation's page: each receiver returns a core.features.Section or None.",
)
