"""Option order per learner and question (kept in :mod:`iso20k.shuffle`, which the records
service uses too without loading the widgets)."""

from ..shuffle import ordering_start, shuffled

__all__ = ["ordering_start", "shuffled"]
