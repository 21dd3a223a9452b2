"""Which records a kernel uses: the hub's records service when the hub says so, else the
in-process store."""

from __future__ import annotations

from ..identity import resolve_learner_id
from ..settings import Settings, get_settings
from .interface import Records
from .local import LocalRecords
from .remote import ServiceRecords


def default_records(settings: Settings | None = None) -> Records:
    """``ServiceRecords`` when ``ISO20K_RECORDS_URL`` is set (the hub sets it for every learner
    server), else ``LocalRecords`` on the configured progress store."""
    settings = settings or get_settings()
    if settings.records_url:
        token = settings.jupyterhub_api_token
        return ServiceRecords(settings.records_url, token.get_secret_value() if token else "")
    from ..store import default_store

    return LocalRecords(default_store(), resolve_learner_id(settings), settings.banks_dir,
                        keyed_banks_dir=settings.keyed_banks_dir)
