"""What accounts tell the features above them (blinker signals, sent with the user as sender)."""

from blinker import Namespace

_signals = Namespace()

email_verified = _signals.signal(
    "email-verified", doc="A person confirmed their email address; sent with the user, inside the transaction."
)
