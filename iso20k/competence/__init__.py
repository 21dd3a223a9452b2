"""Competence evidence (ISO/IEC 20000-1 clause 7.2): what each role requires and who meets it."""

from .matrix import STATUSES, Requirement, competence_matrix, counts
from .requirements import RequirementsError, describe, load_requirements

__all__ = ["STATUSES", "Requirement", "RequirementsError", "competence_matrix", "counts", "describe",
           "load_requirements"]
