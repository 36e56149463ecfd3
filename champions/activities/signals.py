"""What activities tell the features above them (blinker signals, sent with the champion as sender)."""

from blinker import Namespace

_signals = Namespace()

activity_logged = _signals.signal(
    "activity-logged", doc="A champion logged an activity; sent with the champion, inside the transaction."
)
