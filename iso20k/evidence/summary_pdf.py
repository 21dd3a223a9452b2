"""The evidence pack's PDF summary: English and Chinese, the CJK font subset embedded."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from ..certificates.fonts import add_cjk_font, prepare_subset
from ..settings import Settings
from .tables import Table


def render_summary(tables: list[Table], settings: Settings, scope: str, as_of: date, trail_line: str,
                   figures: list[tuple[str, str]]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="iso20k-font-") as folder:
        text = "".join([HEADING, NONE, scope, trail_line, settings.company_name, settings.company_name_zh,
                        *(a + b for a, b in figures), *(t.title_en + t.title_zh + "".join(t.header) for t in tables),
                        *("".join(row) for t in tables for row in t.rows), "公司范围截至审计追踪"])
        font = prepare_subset(settings.certificate_font, text, Path(folder))
        return _render(tables, settings, scope, as_of, trail_line, figures, font)


HEADING = "Training evidence (ISO/IEC 20000-1 clause 7.2) · 培训证据（ISO/IEC 20000-1 条款 7.2）"
NONE = "none · 无"


def _render(tables, settings, scope, as_of, trail_line, figures, font) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Training evidence {scope} {as_of}")
    pdf.set_author(f"{settings.company_name} / {settings.company_name_zh}")
    pdf.set_creator("iso20k")
    family = add_cjk_font(pdf, font)
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font(family, size=18)
    pdf.cell(0, 10, HEADING, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    lines = [f"Company / 公司: {settings.company_name}  {settings.company_name_zh}",
             f"Scope / 范围: {scope}",
             f"As of / 截至: {as_of.isoformat()}",
             f"Audit trail / 审计追踪: {trail_line}"] + [f"{label}: {value}" for label, value in figures]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    for table in tables:
        pdf.add_page()
        pdf.set_font(family, size=13)
        pdf.cell(0, 8, f"{table.title_en} · {table.title_zh} ({len(table.rows)})", new_x="LMARGIN", new_y="NEXT")
        if not table.rows:
            pdf.set_font(family, size=10)
            pdf.cell(0, 6, NONE, new_x="LMARGIN", new_y="NEXT")
            continue
        size = 7 if len(table.header) <= 8 else 5.5
        pdf.set_font(family, size=size)
        with pdf.table(headings_style=FontFace(emphasis=None, fill_color=(235, 240, 245)),
                       line_height=size * 0.55, first_row_as_headings=True, text_align="LEFT") as grid:
            grid.row(table.header)
            for row in table.rows:
                grid.row(row)
    return bytes(pdf.output())
