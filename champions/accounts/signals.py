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

person_records = _signals.signal(
    "person-records",
    doc="The records that are one person's, for the audit log's filter by person: sent with the user id; each "
    "feature answers with a list of (target type, target id) pairs, such as [('Champion', '12')], or None.",
)

person_by_number = _signals.signal(
    "person-by-number",
    doc="The account behind a record number staff typed into the audit log's person filter (such as a champion "
    "number): sent with the number; the feature whose number it is answers with the user id, the others with None.",
)
