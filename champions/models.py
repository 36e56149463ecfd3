"""Import every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from champions.accounts.models import User  # noqa: F401
from champions.core.models import AuditEvent, Borough, OutboxMessage, TaskLock, Topic  # noqa: F401
from champions.dashboards.models import DashboardSnapshot  # noqa: F401
from champions.grants.models import (  # noqa: F401
    Application,
    BudgetLine,
    Criterion,
    Fund,
    GrantReport,
    Payment,
    ReviewAssignment,
    Round,
    Score,
)
from champions.organisations.models import EngagementChange, Organisation  # noqa: F401
from champions.privacy.models import ConsentRecord  # noqa: F401
from champions.roster.models import Champion, StageChange  # noqa: F401
