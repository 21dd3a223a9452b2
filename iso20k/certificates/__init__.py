"""Certificates: issued when a track is passed, stored exactly as issued, verifiable, revocable."""

from .codes import CodeError, new_code, normalise
from .eligibility import Pass, issue_due, passes
from .model import STATES, Certificate, add_months
from .registry import CertificateError, certificates, find, issue, latest_by_track, pdf_bytes, revoke
from .verify import Verification, verify_code, verify_file

__all__ = [
    "STATES", "Certificate", "CertificateError", "CodeError", "Pass", "Verification", "add_months", "certificates",
    "find", "issue", "issue_due", "latest_by_track", "new_code", "normalise", "passes", "pdf_bytes", "revoke",
    "verify_code", "verify_file",
]
