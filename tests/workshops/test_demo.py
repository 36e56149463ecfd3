"""The demo data reproduces the programme's reported figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from champions.core.db import now_utc
from champions.core.templating import UK
from champions.demo.seed import seed
from champions.moments.models import Moment
from champions.organisations.models import Organisation, OrganisationContact
from champions.workshops.figures import engagement_figures
from champions.workshops.models import Workshop, workshop_contacts


# The demo's seeded data and what it shows are the same on either database, and each figure's own query is tested
# on both: seeding it again for the PostgreSQL pass (seconds each) would check nothing new.
@pytest.mark.once
def test_demo_data_reproduces_the_reported_figures(db):
    seed(count=120)
    db.session.commit()
    today = now_utc().astimezone(UK).date()
    codesign = engagement_figures(today - timedelta(days=400), today, workshop_type="co_design").total.figures
    assert codesign["workshops_held"] == 20
    assert codesign["individuals_engaged"] > 150
    assert codesign["organisations_engaged"] > 75

    erg = db.session.scalars(select(Workshop).where(Workshop.type == "expert_reference_group")).all()
    assert len(erg) == 3
    charities = db.session.scalars(
        select(Organisation)
        .join(OrganisationContact)
        .join(workshop_contacts, workshop_contacts.c.contact_id == OrganisationContact.id)
        .where(workshop_contacts.c.workshop_id.in_([w.id for w in erg]))
        .distinct()
    ).all()
    assert len(charities) == 10 and {c.type for c in charities} == {"charity"}
    assert all(len(w.contacts) == 10 for w in erg)
    # Upcoming workshops in every borough, so any champion has something to sign up for.
    upcoming = db.session.scalar(
        select(func.count(func.distinct(Workshop.borough_code))).where(Workshop.starts_at > now_utc())
    )
    assert upcoming == 10
    assert {"Dry January", "Stoptober", "Sun Awareness Week"} <= set(db.session.scalars(select(Moment.name)))
