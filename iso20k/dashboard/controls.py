"""The dashboard's controls, accepting from the browser only the one value a person chooses.

A stock ipywidgets control takes any of its synced attributes from the page (its option labels,
its description, ...).  These take only the choice itself (``index`` of a list, ``value`` of a
date) and drop everything else a forged widget message carries before the widget sees it."""

from __future__ import annotations

import ipywidgets as w


class _OnlyChoice:
    _from_page: frozenset[str] = frozenset()

    def set_state(self, sync_data):
        super().set_state({k: v for k, v in sync_data.items() if k in self._from_page})


class Choice(_OnlyChoice, w.Dropdown):
    _from_page = frozenset({"index"})


class Toggle(_OnlyChoice, w.ToggleButtons):
    _from_page = frozenset({"index"})


class Day(_OnlyChoice, w.DatePicker):
    _from_page = frozenset({"value"})


class Check(_OnlyChoice, w.Checkbox):
    _from_page = frozenset({"value"})
