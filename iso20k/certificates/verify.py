"""Is a certificate genuine, for whom, and still valid?"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from ..store import ProgressStore
from ..tracks import TRACK_TITLES
from .codes import CodeError, normalise
from .model import STATE_TEXT, Certificate
from .registry import find, pdf_bytes


@dataclass(frozen=True)
class Verification:
    code: str
    genuine: bool
    reason: str  # why not genuine, or ''
    certificate: Certificate | None = None
    state: str | None = None  # valid | expiring | expired | revoked

    def as_dict(self) -> dict:
        out = {"code": self.code, "genuine": self.genuine, "reason": self.reason, "state": self.state}
        c = self.certificate
        if c is not None:
            out.update(name=c.employee_name, employee_id=c.employee_id, track=c.track,
                       track_en=TRACK_TITLES[c.track]["en"], track_zh=TRACK_TITLES[c.track]["zh"],
                       passed_on=c.passed_on.isoformat(), valid_until=c.valid_until.isoformat(),
                       score=c.score, max_score=c.max_score, issuer=c.company, sha256=c.sha256,
                       revoked_on=c.revoked_at.date().isoformat() if c.revoked_at else None,
                       revoke_reason=c.revoke_reason)
        return out

    def text(self) -> str:
        if not self.genuine:
            return f"NOT GENUINE · 证书无法验证：{self.reason}"
        c = self.certificate
        en, zh = STATE_TEXT[self.state]
        lines = [f"GENUINE · 证书真实：{self.code}",
                 f"  holder / 持证人: {c.employee_name} ({c.employee_id}), {c.department}",
                 f"  track / 课程: {TRACK_TITLES[c.track]['en']} / {TRACK_TITLES[c.track]['zh']}",
                 f"  passed on / 通过日期: {c.passed_on}; score / 成绩: {c.score:g}/{c.max_score:g}",
                 f"  valid until / 有效期至: {c.valid_until}",
                 f"  status / 状态: {en} / {zh}",
                 f"  issued by / 发证单位: {c.company}",
                 f"  SHA-256 of the PDF as issued: {c.sha256}"]
        if self.state == "revoked":
            lines.append(f"  revoked on / 撤销日期: {c.revoked_at.date()}: {c.revoke_reason}")
        return "\n".join(lines)


def verify_code(store: ProgressStore, code: str, as_of: date, warning_days: int) -> Verification:
    """Check a code: well formed, issued by this product, the stored PDF unchanged; its state on ``as_of``."""
    try:
        code = normalise(code)
    except CodeError as exc:
        return Verification(code.strip()[:60], False, str(exc))
    cert = find(store, code)
    if cert is None:
        return Verification(code, False, "no certificate was issued with this code.")
    stored = pdf_bytes(store, code) or b""
    if hashlib.sha256(stored).hexdigest() != cert.sha256:
        return Verification(code, False, "the stored certificate no longer matches the fingerprint recorded when "
                            "it was issued (altered); ask the issuer.", cert)
    return Verification(code, True, "", cert, cert.state(as_of, warning_days))


def verify_file(store: ProgressStore, data: bytes, as_of: date, warning_days: int) -> Verification:
    """Check a PDF someone shows: is it byte for byte a certificate this product issued?"""
    from ..store.certificates import code_of_sha256

    digest = hashlib.sha256(data).hexdigest()
    code = code_of_sha256(store, digest)
    if code is None:
        return Verification("", False, "this file is not a certificate issued here, or it was changed after issue "
                            f"(SHA-256 {digest}).")
    return verify_code(store, code, as_of, warning_days)
