"""The programme dashboard's sections: an overview at /staff, and one short page for each part of the figures.

Each section's page shows its charts with their data tables and spreadsheets; every page lists all the sections,
so any figure is one click from any other without a long scroll.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    about: str  # one line for the list of sections

    @property
    def template(self) -> str:
        return f"dashboards/sections/{self.slug}.html"


SECTIONS = (
    Section("growth", "Sign-ups and projection", "Sign-ups by week, the recent rate and when the target is reached"),
    Section("onboarding", "Onboarding funnel", "Champions reaching each onboarding stage, and how long it takes"),
    Section("retention", "Retention by cohort", "Who is still active 1, 3 and 6 months after joining"),
    Section("boroughs", "Reach by borough", "Champions, activities, workshops and grants in each borough"),
    Section("engagement", "Workshops and topics", "Workshops, organisations and people engaged, and each topic"),
    Section("outcomes", "What came of it", "People signposted to services, who said they would act, and who did"),
    Section("network", "The recruitment network", "Who recruited whom, and the top recruiters"),
    Section("nudges", "Nudge effect", "Whether each nudge changed what people did, against a held-out group"),
)
BY_SLUG = {section.slug: section for section in SECTIONS}
