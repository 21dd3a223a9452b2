"""The evidence pack an auditor gets: ``iso20k evidence``."""

from .pack import EvidenceError, EvidencePack, build_evidence

__all__ = ["EvidenceError", "EvidencePack", "build_evidence"]
