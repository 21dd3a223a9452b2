"""The certificate as a PDF (fpdf2): English and Simplified Chinese, the CJK font subset embedded,
the verification code as text and as a QR code drawn as vector squares."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF

from ..settings import Settings
from ..tracks import TRACK_TITLES
from .fonts import add_cjk_font
from .model import Certificate


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules (error correction level M), row by row."""
    qr = segno.make_qr(text, error="m")
    return [[bool(v) for v in row] for row in qr.matrix]


def draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    modules = qr_modules(text)
    n = len(modules) + 8  # four modules of quiet zone on each side
    cell = size / n
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + (c + 4) * cell, y + (r + 4) * cell, cell, cell, style="F")


def verification_link(settings: Settings, code: str) -> str:
    return f"{settings.verify_url.rstrip('/')}/{code}"


def _day(value: date) -> str:
    return value.isoformat()


#: Every fixed text on the certificate (the font prepared for a batch must cover them).
FIXED_TEXT = ("Certificate of Training 培训合格证书 This certifies that · 兹证明 has completed the lessons and passed the "
              "assessment of the ISO/IEC 20000 已完成 的全部课程并通过考核。 Passed on / 考核通过日期 Score / 成绩 "
              "Valid until / 有效期至 Issued / 发证日期 Issued by / 发证单位 Verification code / 验证码 Verify / 验证: "
              "Check this certificate by scanning the QR code or with the code above; the issuer keeps its SHA-256 "
              "fingerprint.  扫描二维码或凭验证码核验本证书；发证单位留存其 SHA-256 指纹。 () % / . , : ; # "
              "0123456789abcdef Audit trail head before issue / 发证前审计追踪链头"
              + "".join(t["en"] + t["zh"] for t in TRACK_TITLES.values()))


def render(cert: Certificate, settings: Settings, font: Path | None = None,
           trail_head: tuple[int, str] | None = None) -> bytes:
    """The PDF's bytes.  ``font`` may be a prepared subset of the settings' font (see fonts.py).
    ``trail_head``: the audit trail's newest entry (sequence number, hash) before this
    certificate's own entry, printed so that the certificate fixes the trail up to there
    (docs/audit-evidence.md)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Certificate {cert.code}")
    pdf.set_author(f"{settings.company_name} / {settings.company_name_zh}")
    pdf.set_subject(f"{TRACK_TITLES[cert.track]['en']} - {cert.employee_name}")
    pdf.set_creator("iso20k")
    pdf.set_lang("en")
    family = add_cjk_font(pdf, font or settings.certificate_font)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(21, 101, 192)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)

    pdf.set_font(family, size=28)
    pdf.set_xy(20, 24)
    pdf.cell(257, 13, "Certificate of Training", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=22)
    pdf.set_x(20)
    pdf.cell(257, 12, "培训合格证书", align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(family, size=12)
    pdf.set_xy(20, 54)
    pdf.cell(257, 7, "This certifies that  ·  兹证明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=24)
    pdf.set_x(20)
    pdf.cell(257, 13, cert.employee_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    pdf.set_x(20)
    pdf.cell(257, 6, f"{cert.employee_id}  ·  {cert.department}", align="C", new_x="LMARGIN", new_y="NEXT")

    titles = TRACK_TITLES[cert.track]
    pdf.set_font(family, size=13)
    pdf.set_xy(20, 90)
    pdf.multi_cell(257, 7, (f"has completed the lessons and passed the assessment of the ISO/IEC 20000 "
                            f"{titles['en']}."), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.multi_cell(257, 7, f"已完成 ISO/IEC 20000 {titles['zh']}的全部课程并通过考核。", align="C",
                   new_x="LMARGIN", new_y="NEXT")

    rows = [
        ("Passed on / 考核通过日期", _day(cert.passed_on)),
        ("Score / 成绩", f"{cert.score:g} / {cert.max_score:g} ({cert.percent:.0f}%)"),
        ("Valid until / 有效期至", _day(cert.valid_until)),
        ("Issued / 发证日期", _day(cert.issued_at.date())),
        ("Issued by / 发证单位", f"{settings.company_name}  {settings.company_name_zh}"),
        ("Verification code / 验证码", cert.code),
    ]
    y = 118
    for label, value in rows:
        pdf.set_xy(30, y)
        pdf.set_font(family, size=10)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(62, 7, label)
        pdf.set_font(family, size=11)
        pdf.set_text_color(0, 0, 0)
        pdf.cell(140, 7, value)
        y += 8.5

    link = verification_link(settings, cert.code)
    draw_qr(pdf, link, 232, 118, 42)
    pdf.set_font(family, size=7)
    pdf.set_xy(200, 161)
    pdf.multi_cell(76, 4, f"Verify / 验证: {link}", align="R")
    if trail_head is not None:
        pdf.set_xy(20, 178)
        pdf.set_font(family, size=7)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(257, 4, f"Audit trail head before issue / 发证前审计追踪链头: #{trail_head[0]} {trail_head[1]}",
                 align="C")
    pdf.set_xy(20, 184)
    pdf.set_font(family, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(257, 4, "Check this certificate by scanning the QR code or with the code above; the issuer keeps "
                   "its SHA-256 fingerprint.  扫描二维码或凭验证码核验本证书；发证单位留存其 SHA-256 指纹。",
                   align="C")
    return bytes(pdf.output())
