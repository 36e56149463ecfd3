"""Co-design workshops: places, attendance, reminders, calendars and outputs."""

from __future__ import annotations

from champions.core import merging
from champions.core.features import Beat, Feature, NavItem
from champions.core.permissions import CHAMPION, PUBLIC, STAFF
from champions.core.personal_data import Holding, Lookup
from champions.organisations.signals import detail_sections
from champions.workshops import (
    bp,
    models,
    services,
    views,  # noqa: F401  (importing them adds their routes)
)
from config import every_seconds

# The workshop a row is about, by its title and when it starts.
WORKSHOP = Lookup("workshop_id", "workshops", {"workshop": "title", "starts_at": "starts_at"})
SIGNUP_WORDS = {
    "booked": "Booked",
    "waiting": "On the waiting list",
    "cancelled": "Cancelled",
}

FEATURE = Feature(
    name="workshops",
    blueprints=(bp,),
    access={
        "workshops.workshop_list": STAFF,
        "workshops.workshop_export": STAFF,
        "workshops.workshop_new": STAFF,
        "workshops.workshop_edit": STAFF,
        "workshops.workshop_detail": STAFF,
        "workshops.attendance_champion": STAFF,
        "workshops.check_in_signup": STAFF,
        "workshops.cancel_signup": STAFF,
        "workshops.attendance_contact": STAFF,
        "workshops.headcount": STAFF,
        "workshops.attendance_contact_remove": STAFF,
        "workshops.workshop_cancel": STAFF,
        "workshops.workshop_outputs": STAFF,
        "workshops.workshop_report": STAFF,
        "workshops.engagement": STAFF,
        "workshops.engagement_export": STAFF,
        "workshops.champion_workshops": CHAMPION,
        "workshops.champion_workshop": CHAMPION,
        "workshops.champion_sign_up": CHAMPION,
        "workshops.champion_cancel": CHAMPION,
        "workshops.workshop_ics": CHAMPION | STAFF,
        "workshops.calendar_feed": CHAMPION | STAFF,
        "workshops.calendar_subscription": PUBLIC,  # a calendar app's private link: the signed token is the key
    },
    navigation=(
        NavItem("Workshops", "workshops.champion_workshops", CHAMPION, 60),
        NavItem("Workshops", "workshops.workshop_list", STAFF, 130),
    ),
    beat=(
        # Hourly, so a reminder goes out on the day before even if a run is missed; each attendee once.
        Beat(
            "workshop-reminders",
            "champions.workshops.tasks.send_workshop_reminders",
            every_seconds("WORKSHOP_REMINDERS_EVERY_SECONDS", 3600),
        ),
    ),
    task_modules=("champions.workshops.tasks",),
    models=(models,),
    merges={
        **models.MERGES,
        **merging.on_conflict("champions", "workshop_signups.champion_id", services.merge_signups),
    },
    holdings=(
        Holding(
            "workshop_signups",
            "champion",
            "champion_id",
            "keep",
            why_kept="attendance of an anonymised record",
            title="Your workshop places",
            describe="The workshops you booked or asked to join, and whether you came.",
            columns={
                "workshop": "Workshop",
                "starts_at": "Starts",
                "status": "Your place",
                "created_at": "Asked for",
                "queued_at": "In the queue since",
                "promoted_at": "Moved from the waiting list",
                "cancelled_at": "Cancelled",
                "checked_in_at": "Checked in",
                "reminder_sent_at": "Reminder sent",
            },
            labels={"status": SIGNUP_WORDS},
            lookups=(WORKSHOP,),
        ),
        Holding(
            "workshop_recruits",
            "champion",
            "champion_id",
            "keep",
            why_kept="a recruit of an anonymised record",
            title="Workshops where you became a champion",
            describe="The workshop at which you joined as a champion.",
            columns={"workshop": "Workshop", "starts_at": "Starts", "recorded_at": "Recorded"},
            lookups=(WORKSHOP,),
        ),
        Holding(
            "workshop_facilitators",
            "user",
            "user_id",
            "keep",
            why_kept="who ran a workshop, no details",
            title="Workshops you ran",
            describe="The workshops you helped to run.",
            columns={"workshop": "Workshop", "starts_at": "Starts"},
            lookups=(WORKSHOP,),
        ),
    ),
    not_personal={
        "workshops": "workshops (people attending are in workshop_signups and organisation contacts)",
        "workshop_contact_attendance": "ids only; the contact's details are in organisation_contacts",
        "workshop_changes": "when and where a workshop was and became (who was told is in pending_emails, by id)",
    },
    signals=((detail_sections, services.organisation_section),),
)
