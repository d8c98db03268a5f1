"""The admin observability dashboard (issue 5): firing alerts, charts, log search, correlation.

A self-contained widget (:class:`AdminDashboard`) over the admin API of the sync server, through
:class:`DashboardClient` (httpx, run on worker threads). See docs/observability.md, section
"Dashboard".
"""

from desktop.dashboard.client import (
    AlertEvent,
    BucketPoint,
    CorrelationTrail,
    DashboardClient,
    DashboardError,
    ErrorKind,
    LogLine,
    LogPage,
    LogQuery,
    new_action_id,
)
from desktop.dashboard.dashboard import AdminDashboard

__all__ = [
    "AdminDashboard",
    "AlertEvent",
    "BucketPoint",
    "CorrelationTrail",
    "DashboardClient",
    "DashboardError",
    "ErrorKind",
    "LogLine",
    "LogPage",
    "LogQuery",
    "new_action_id",
]
