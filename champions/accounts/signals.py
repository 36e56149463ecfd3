"""What accounts tell the features above them (blinker signals, sent with the user as sender)."""

from blinker import Namespace

_signals = Namespace()

email_verified = _signals.signal(
    "email-verified", doc="A person confirmed their email address; sent with the user, inside the transaction."
)

consent_purpose_label = _signals.signal(
    "consent-purpose-label",
    doc="What a consent purpose is about, in words, for the person's data export: sent with the purpose (such as "
    "'nudge:inactive'); the feature whose purpose it is answers with its label, the others with None.",
)

email_changed = _signals.signal(
    "email-changed",
    doc="A person's sign-in address changed (a confirmed change); sent with the user, inside the transaction.",
)
