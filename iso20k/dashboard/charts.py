"""The dashboard's charts as inline SVG: no plotting library, nothing fetched from the internet."""

from __future__ import annotations

from html import escape
from statistics import median

from ..results.views import View
from ..texts import status_label, t
from ..tracks import track_title
from ..results import STATUSES

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
             f"<title>{escape(t('Status of every required track, by department', language))}</title>"]
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
        title = escape(track_title(track, language))
        if not values:
            none_yet = t("No graded assessments for this selection yet.", language)
            charts.append(f'<div class="iso20k-hist" data-track="{track}" data-n="0" style="display:inline-block;'
                          f'vertical-align:top;margin:0 24px 12px 0;width:340px"><b>{title}</b>'
                          f'<p style="color:#666">{escape(none_yet)}</p></div>')
            continue
        mark = pass_marks.get(track, 1) * 100
        # Each 10-point bar is split at the pass mark: the part at or above it is drawn as
        # passed, the part below as failed (with a 65 % mark the 60-70 bar holds both).
        passed, failed = [0] * 10, [0] * 10
        for v, ok in zip(values, view.scores_passed.get(track, ())):  # the pass rule's verdicts
            (passed if ok else failed)[min(9, int(v // 10))] += 1
        bins = [p + f for p, f in zip(passed, failed)]
        w, h, left, bottom = 340, 190, 34, 36
        top = max(bins)
        bar = (w - left - 6) / 10
        summary = t("{n} graded · median {median}%", language, n=len(values), median=f"{median(values):.0f}")
        svg = [f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" {FONT} font-size="11">'
               f'<title>{title}: {escape(summary)}</title>']  # the picture's name for screen readers
        for i in range(len(bins)):
            x = left + i * bar
            base = h - bottom
            for part, count in (("failed", failed[i]), ("passed", passed[i])):
                if not count:
                    continue
                bh = (h - bottom - 10) * count / top
                svg.append(f'<rect x="{x + 1:.1f}" y="{base - bh:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" '
                           f'fill="{COLOURS[part]}" data-bin="{i * 10}" data-part="{part}" data-count="{count}">'
                           f'<title>{i * 10}–{i * 10 + 10}%: {count} {escape(status_label(part, language))}'
                           f'</title></rect>')
                base -= bh
            svg.append(f'<text x="{x + bar / 2:.1f}" y="{h - bottom + 13}" text-anchor="middle">{i * 10}</text>')
        mx = left + (w - left - 6) * mark / 100
        svg.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="4" y2="{h - bottom}" stroke="#333" stroke-dasharray="4 3"/>')
        svg.append(f'<text x="{mx + 4:.1f}" y="14">{escape(t("pass mark {mark}%", language, mark=f"{mark:g}"))}</text>')
        svg.append(f'<text x="{left}" y="{h - 6}">{escape(t("score (% of points)", language))}</text>')
        svg.append(f'<text x="4" y="{h - bottom}" >0</text><text x="4" y="14">{top}</text></svg>')
        charts.append(f'<div class="iso20k-hist" data-track="{track}" data-n="{len(values)}" style="display:inline-block;'
                      f'vertical-align:top;margin:0 24px 12px 0"><b>{title}</b>'
                      f'<div style="color:#555;font-size:12px">{escape(summary)}</div>{"".join(svg)}</div>')
    return "".join(charts)


def completion_chart(history: list, language: str) -> str:
    """Passed required tracks as a share of those required, over time (a line)."""
    w, h, left, bottom = 560, 170, 40, 30
    parts = [f'<svg class="iso20k-history" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'{FONT} font-size="11"><title>{escape(t("Required training passed over time", language))}</title>']
    if not history:
        return parts[0] + "</svg>"
    n = len(history)
    points = []
    for i, (day, passed, required) in enumerate(history):
        share = passed / required if required else 0.0
        x = left + (w - left - 10) * (i / max(1, n - 1))
        y = h - bottom - (h - bottom - 10) * share
        points.append((x, y, day, passed, required, share))
    parts.append(f'<polyline fill="none" stroke="{COLOURS["passed"]}" stroke-width="2" points="'
                 + " ".join(f"{x:.1f},{y:.1f}" for x, y, *_ in points) + '"/>')
    for x, y, day, passed, required, share in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{COLOURS["passed"]}" '
                     f'data-day="{day.isoformat()}" data-passed="{passed}" data-required="{required}">'
                     f'<title>{day.isoformat()}: {passed} / {required} ({100 * share:.0f}%)</title></circle>')
    parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{h - bottom}" y2="{h - bottom}" stroke="#999"/>')
    parts.append(f'<text x="4" y="14">100%</text><text x="4" y="{h - bottom}">0%</text>')
    parts.append(f'<text x="{left}" y="{h - 8}">{history[0][0].isoformat()}</text>')
    parts.append(f'<text x="{w - 10}" y="{h - 8}" text-anchor="end">{history[-1][0].isoformat()}</text>')
    axis = t("passed, % of required", language)
    parts.append(f'<text x="{left + 60}" y="14" fill="#555">{escape(axis)}</text></svg>')
    return "".join(parts)
