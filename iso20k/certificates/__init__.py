"""Certificates: issued when a track is passed, stored exactly as issued, verifiable, revocable.

Re-exported on first use (see :mod:`iso20k.lazy_exports`): reading certificates (the dashboard)
does not load the PDF and font libraries that issuing them needs."""

from ..lazy_exports import lazy_exports

_EXPORTS = {
    "CodeError": ".codes", "new_code": ".codes", "normalise": ".codes",
    "Pass": ".eligibility", "issue_due": ".eligibility", "passes": ".eligibility",
    "STATES": ".model", "Certificate": ".model", "add_months": ".model",
    "AlreadyIssued": ".registry", "CertificateError": ".registry", "certificates": ".registry", "find": ".registry", "issue": ".registry",
    "latest_by_track": ".registry", "pdf_bytes": ".registry", "revoke": ".registry",
    "issue_for": ".workflow",
    "Verification": ".verify", "verify_code": ".verify", "verify_file": ".verify",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
