"""Question banks: the YAML files in ``assessments/`` and their checks."""

from .errors import BankError, BankProblem
from .loader import BANK_TRACKS, Catalog, bank_files, cached_catalog, load_catalog, parse_bank
from .model import QUESTION_TYPES, Bank, Option, Question, Text

__all__ = [
    "BANK_TRACKS", "QUESTION_TYPES", "Bank", "BankError", "BankProblem", "Catalog", "Option",
    "Question", "Text", "bank_files", "cached_catalog", "load_catalog", "parse_bank",
]
