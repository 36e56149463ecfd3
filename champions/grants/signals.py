"""Where other features join in grant work (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

report_reminder_covered = _signals.signal(
    "report-reminder-covered",
    doc="Before 'report due soon' reminders go: each receiver returns a condition on grant_applications, true for "
    "grants whose contact it has already reminded (the reminder then leaves them out), or None.",
)
