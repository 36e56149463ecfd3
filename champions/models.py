"""Import every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from champions.accounts.models import User  # noqa: F401
from champions.core.models import AuditEvent, Borough, OutboxMessage, TaskLock, Topic  # noqa: F401
from champions.dashboards.models import DashboardSnapshot  # noqa: F401
from champions.moments.models import Moment  # noqa: F401
from champions.organisations.models import (  # noqa: F401
    EngagementChange,
    Organisation,
    OrganisationContact,  # noqa: F401
)
from champions.privacy.models import ConsentRecord  # noqa: F401
from champions.roster.models import Champion, StageChange  # noqa: F401
from champions.workshops.models import Workshop, WorkshopRecruit, WorkshopSignup  # noqa: F401
