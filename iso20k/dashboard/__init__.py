"""The read-only training-completion dashboard management opens in Voila, and the demo company."""

from .app import Dashboard, DataSource
from ..results.views import Filters, View, build_view
from .serve import DashboardServer, dashboard_server
from ..results import Reader, Snapshot, load_snapshot
from ..results import STATUSES, status_of, statuses
from .viewer import Identity, NotAllowed, Viewer, viewer_for

__all__ = [
    "STATUSES", "Dashboard", "DashboardServer", "DataSource", "Filters", "Identity", "NotAllowed", "Reader",
    "Snapshot", "View", "Viewer", "build_view", "dashboard_server", "load_snapshot", "status_of", "statuses",
    "viewer_for",
]
