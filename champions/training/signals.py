"""Where other features add to the training pages (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

catalogue_sections = _signals.signal(
    "training-catalogue-sections",
    doc="Sections for the top of a champion's training page, sent with the champion as sender: each receiver "
    "returns a core.features.Section or None.",
)
