"""Which records a kernel uses: the hub's records service when the hub says so, else the
in-process store."""

from __future__ import annotations

import os

from ..identity import resolve_learner_id
from ..settings import Settings, get_settings
from .interface import Records
from .local import LocalRecords
from .remote import ServiceRecords


def default_records(settings: Settings | None = None, environ: dict | None = None) -> Records:
    """``ServiceRecords`` when ``ISO20K_RECORDS_URL`` is set (the hub sets it for every learner
    server), else ``LocalRecords`` on the configured progress store."""
    settings = settings or get_settings()
    env = os.environ if environ is None else environ
    if settings.records_url:
        return ServiceRecords(settings.records_url, env.get("JUPYTERHUB_API_TOKEN", ""))
    from ..store import default_store

    return LocalRecords(default_store(), resolve_learner_id(settings, env), settings.banks_dir,
                        keyed_banks_dir=settings.keyed_banks_dir)
