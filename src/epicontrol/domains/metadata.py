"""The metadata of every domain's tables, for migrations and schema checks.

Only Alembic's environment and the schema tests import this module.
"""

from __future__ import annotations

from ..store.base import Base
from .campaigns import models as _campaigns  # noqa: F401  (registers the tables)
from .city import models as _city  # noqa: F401  (registers the tables)
from .quarantine import models as _quarantine  # noqa: F401  (registers the tables)
from .resources import models as _resources  # noqa: F401  (registers the tables)
from .special import models as _special  # noqa: F401  (registers the tables)
from .supply import models as _supply  # noqa: F401  (registers the tables)
from .surveillance import models as _surveillance  # noqa: F401  (registers the tables)
from .tasks import models as _tasks  # noqa: F401  (registers the tables)
from .tracing import models as _tracing  # noqa: F401  (registers the tables)
from .users import models as _users  # noqa: F401  (registers the tables)
from .zones import models as _zones  # noqa: F401  (registers the tables)

metadata = Base.metadata
