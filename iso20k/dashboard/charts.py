"""The dashboard's charts as inline SVG: no plotting library, nothing fetched from the internet."""

from __future__ import annotations

from html import escape
from statistics import median

from .figures import View
from .i18n import status_label, t, track_label
from .status import STATUSES

COLOURS = {
    "passed": "#2e7d32", "submitted": "#1565c0", "modules-done": "#64b5f6", "in-progress": "#f9a825",
    "not-started": "#bdbdbd", "failed": "#8e24aa", "overdue": "#c62828",
}
FONT = "font-family=\"'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif\""


def legend(language: str) -> str:
    items = "".join(
        f'<span style="display:inline-block;margin:0 14px 4px 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:12px;height:12px;background:{COLOURS[s]};'
        f'vertical-align:middle;margin-right:5px;border-radius:2px"></span>{escape(status_label(s, language))}</span>'
        for s in STATUSES)
    return f'<div class="iso20k-legend" style="font-size:13px;margin:6px 0">{items}</div>'


def department_bars(view: View, language: str) -> str:
    """One horizontal bar per department, split by the status of every required track."""
    label_w, bar_w, row_h = 190, 560, 26
    rows = view.rows
    height = row_h * len(rows) + 8
    parts = [f'<svg class="iso20k-bars" role="img" width="{label_w + bar_w + 60}" height="{height}" '
             f'viewBox="0 0 {label_w + bar_w + 60} {height}" {FONT} font-size="13">',
             f"<title>{escape(t('chart_title', language))}</title>"]
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        counts = row.counts()
        total = sum(counts.values())
        name = row.department if len(row.department) <= 24 else row.department[:23] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>')
        x = float(label_w)
        for status in STATUSES:
            n = counts.get(status, 0)
            if not n or not total:
                continue
            w = bar_w * n / total
            parts.append(f'<rect x="{x:.2f}" y="{y + 3}" width="{w:.2f}" height="{row_h - 8}" '
                         f'fill="{COLOURS[status]}" data-status="{status}" data-count="{n}">'
                         f'<title>{escape(row.department)} · {escape(status_label(status, language))}: {n}</title></rect>')
            x += w
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}" fill="#555">{total}</text>')
    parts.append("</svg>")
    return "".join(parts)


def score_histograms(view: View, pass_marks: dict[str, float], language: str) -> str:
    """A histogram of scores (10-point bins) per shown track, with the pass mark marked."""
    charts = []
    for track in view.tracks:
        values = view.scores.get(track, [])
        title = escape(track_label(track, language, short=False))
        if not values:
            charts.append(f'<div class="iso20k-hist" data-track="{track}" data-n="0" style="display:inline-block;'
                          f'vertical-align:top;margin:0 24px 12px 0;width:340px"><b>{title}</b>'
                          f'<p style="color:#666">{escape(t("no_scores", language))}</p></div>')
            continue
        bins = [0] * 10
        for v in values:
            bins[min(9, int(v // 10))] += 1
        w, h, left, bottom = 340, 190, 34, 36
        top = max(bins)
        bar = (w - left - 6) / 10
        summary = t("scores_summary", language, n=len(values), median=f"{median(values):.0f}")
        svg = [f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" {FONT} font-size="11">'
               f'<title>{title}: {escape(summary)}</title>']  # the picture's name for screen readers
        for i, n in enumerate(bins):
            bh = (h - bottom - 10) * n / top
            x = left + i * bar
            colour = COLOURS["passed"] if (i + 1) * 10 > pass_marks.get(track, 1) * 100 else COLOURS["failed"]
            svg.append(f'<rect x="{x + 1:.1f}" y="{h - bottom - bh:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" '
                       f'fill="{colour}" data-bin="{i * 10}" data-count="{n}"><title>{i * 10}–{i * 10 + 10}%: {n}</title></rect>')
            svg.append(f'<text x="{x + bar / 2:.1f}" y="{h - bottom + 13}" text-anchor="middle">{i * 10}</text>')
        mark = pass_marks.get(track, 0) * 100
        mx = left + (w - left - 6) * mark / 100
        svg.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="4" y2="{h - bottom}" stroke="#333" stroke-dasharray="4 3"/>')
        svg.append(f'<text x="{mx + 4:.1f}" y="14">{escape(t("pass_mark", language, mark=f"{mark:g}"))}</text>')
        svg.append(f'<text x="{left}" y="{h - 6}">{escape(t("scores_axis", language))}</text>')
        svg.append(f'<text x="4" y="{h - bottom}" >0</text><text x="4" y="14">{top}</text></svg>')
        charts.append(f'<div class="iso20k-hist" data-track="{track}" data-n="{len(values)}" style="display:inline-block;'
                      f'vertical-align:top;margin:0 24px 12px 0"><b>{title}</b>'
                      f'<div style="color:#555;font-size:12px">{escape(summary)}</div>{"".join(svg)}</div>')
    return "".join(charts)
