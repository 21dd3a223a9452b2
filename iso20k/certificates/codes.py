"""Verification codes: ``ISO20K-XXXX-XXXX-XXXX-C``, twelve random characters of Crockford's base32
(no I, L, O, U) and a check character, so a mistyped code is caught before any look-up."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SHAPE = re.compile(r"^ISO20K-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z]{4})-([0-9A-Z])$")


class CodeError(ValueError):
    """The text is not a well-formed verification code."""


def _check(body: str) -> str:
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % 31]  # 31 is prime: any single changed or swapped character changes it


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"ISO20K-{body[:4]}-{body[4:8]}-{body[8:]}-{_check(body)}"


def normalise(text: str) -> str:
    """The code in its canonical form, or :class:`CodeError` saying what is wrong."""
    code = text.strip().upper().replace(" ", "")
    match = _SHAPE.match(code)
    if not match:
        raise CodeError(f"'{text.strip()[:60]}' is not a certificate code: codes look like "
                        "ISO20K-XXXX-XXXX-XXXX-X (letters and digits).")
    body = "".join(match.groups()[:3])
    if any(ch not in ALPHABET for ch in body + match.group(4)) or _check(body) != match.group(4):
        raise CodeError(f"'{code}' is not a genuine certificate code: its check character does not match "
                        "(a character was changed or mistyped).")
    return code
