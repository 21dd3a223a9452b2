"""One learner's quiz session in one kernel: who, which store, which banks, which language."""

from __future__ import annotations

import weakref
from pathlib import Path

from traitlets import HasTraits, Unicode, validate

from ..banks import Catalog, cached_catalog
from ..records import LocalRecords, Records, default_records
from ..settings import LANGUAGES, get_settings


class QuizSession(HasTraits):
    """Shared by every quiz widget in a kernel.  ``language`` is observable: widgets relabel
    themselves when it changes."""

    language = Unicode("en")

    def __init__(self, records, learner_id: str | None = None,
                 banks_dir: Path | None = None, language: str | None = None):
        """``records`` is where answers go (:class:`~iso20k.records.Records`); a progress store
        (:class:`~iso20k.store.ProgressStore`) with a ``learner_id`` is shorthand for that store's
        in-process records.  The widgets reach the store only through :mod:`iso20k.records`."""
        super().__init__()
        if not isinstance(records, Records):
            if not learner_id:
                raise ValueError("a learner id is needed to record into a progress store")
            records = LocalRecords(records, learner_id, banks_dir)
        self.records = records
        self.banks_dir = banks_dir
        self._progress_bars: dict[str, weakref.WeakSet] = {}
        self.language = language or records.language() or get_settings().language

    @property
    def learner_id(self) -> str:
        return self.records.learner_id

    @validate("language")
    def _check_language(self, proposal):
        if proposal["value"] not in LANGUAGES:
            raise ValueError(f"language must be 'en' (English) or 'zh' (简体中文), not {proposal['value']!r}")
        return proposal["value"]

    @property
    def catalog(self) -> Catalog:
        return cached_catalog(self.banks_dir)

    def set_language(self, language: str, remember: bool = True) -> None:
        self.language = language
        if remember:
            self.records.set_language(language)

    def register_progress(self, module_key: str, bar) -> None:
        self._progress_bars.setdefault(module_key, weakref.WeakSet()).add(bar)

    def refresh_progress(self, module_key: str) -> None:
        for bar in list(self._progress_bars.get(module_key, ())):
            bar.refresh()


_current: QuizSession | None = None


def current_session() -> QuizSession:
    """The kernel's session, created on first use from the settings and the environment."""
    global _current
    if _current is None:
        settings = get_settings()
        _current = QuizSession(default_records(settings), banks_dir=settings.banks_dir)
    return _current


def use_session(session: QuizSession | None) -> QuizSession | None:
    """Make ``session`` the kernel's session (tests, or a trainer previewing as a learner)."""
    global _current
    _current = session
    return session
