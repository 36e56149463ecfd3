"""Import every model so that SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from champions.accounts.admin_models import Invitation  # noqa: F401
from champions.accounts.models import User, UserSession  # noqa: F401
from champions.activities.models import Activity  # noqa: F401
from champions.core.models import AuditEvent, Borough, OutboxMessage, TaskLock, Topic  # noqa: F401
from champions.core.throttle import ThrottleCounter  # noqa: F401
from champions.dashboards.models import DashboardJob, DashboardSnapshot, ProgrammeSettings  # noqa: F401
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
from champions.moments.models import Moment  # noqa: F401
from champions.nudges.models import NudgeMessage, NudgeRule  # noqa: F401
from champions.organisations.models import EngagementChange, Organisation, OrganisationContact  # noqa: F401
from champions.privacy.models import ConsentRecord, EqualityAnswers  # noqa: F401
from champions.roster.crm_models import ChampionNote, ExportJob, ImportJob, ImportRow  # noqa: F401
from champions.roster.models import Champion, StageChange  # noqa: F401
from champions.training.models import Pledge, PledgeAcceptance, TrainingCompletion, TrainingResource  # noqa: F401
from champions.workshops.models import Workshop, WorkshopRecruit, WorkshopSignup  # noqa: F401
