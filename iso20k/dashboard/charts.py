"""The dashboard's charts as inline SVG: no plotting library, nothing fetched from the internet."""

from __future__ import annotations

from html import escape
from statistics import median
from unicodedata import east_asian_width

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


def text_width(text: str, size: float) -> float:
    """A generous estimate of ``text``'s width in pixels at font ``size``: a wide (CJK,
    full-width) character is one em, any other at most 0.62 em (wider than the sans fonts' average
    for digits and Latin letters), so a label placed with it never reaches past its chart."""
    return sum(size if east_asian_width(c) in "WF" else 0.62 * size for c in text)


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Axis ticks from 0 to at least ``top`` at a round step (1, 2, 5, 10, 20, 50, ...), at
    most ``most`` + 1 of them, the last one at or above ``top``."""
    step = 1
    while -(-max(top, 1) // step) > most:
        for factor in (2, 2.5, 2):  # 1 -> 2 -> 5 -> 10 -> 20 -> 50 ...
            step = int(step * factor)
            if -(-max(top, 1) // step) <= most:
                break
    last = -(-max(top, 1) // step) * step
    return list(range(0, last + 1, step))


def department_bars(view: View, language: str) -> str:
    """One horizontal bar per department, split by the status of every required track.  HTML
    laid out by the browser (a grid): the department column is as wide as its longest name and a
    name too long for it wraps, so a name is never cut or drawn outside the chart."""
    title = escape(t("Status of every required track, by department", language))
    parts = [f'<div class="iso20k-bars" role="img" aria-label="{title}" style="display:grid;'
             'grid-template-columns:auto minmax(200px,560px) auto;gap:6px 8px;align-items:center;'
             'width:max-content;max-width:100%;font-size:13px;line-height:1.3;padding:2px 0">']
    for row in view.rows:
        counts = row.counts()
        total = sum(counts.values())
        parts.append(f'<div class="iso20k-bar-label" style="text-align:right;max-width:22em;'
                     f'overflow-wrap:anywhere">{escape(row.department)}</div>')
        segments = []
        for status in STATUSES:
            n = counts.get(status, 0)
            if not n or not total:
                continue
            segments.append(f'<div data-status="{status}" data-count="{n}" title="{escape(row.department)} · '
                            f'{escape(status_label(status, language))}: {n}" style="flex:{n} 1 0;min-width:1px;'
                            f'background:{COLOURS[status]}"></div>')
        parts.append(f'<div class="iso20k-bar" style="display:flex;height:18px;background:#f3f5f7">'
                     f'{"".join(segments)}</div>')
        parts.append(f'<div class="iso20k-bar-total" style="color:#555">{total}</div>')
    parts.append("</div>")
    return "".join(parts)


def score_histograms(view: View, pass_marks: dict[str, float], language: str) -> str:
    """A histogram of scores (10-point bins) per shown track, with the pass mark marked: its
    label in a band above the bars (never covered by them), y-axis ticks at a round step."""
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
        ticks = nice_ticks(max(bins))
        size = 11
        left = 8 + max(text_width(str(v), size) for v in ticks)
        w, h, top, bottom, right = 340, 200, 24, 36, 14  # the band above ``top`` holds the pass-mark label
        plot_h = h - bottom - top
        bar = (w - left - right) / 10
        summary = t("{n} graded · median {median}%", language, n=len(values), median=f"{median(values):.0f}")
        svg = [f'<svg role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" {FONT} font-size="{size}">'
               f'<title>{title}: {escape(summary)}</title>']  # the picture's name for screen readers
        base = h - bottom
        for v in ticks:
            y = base - plot_h * v / ticks[-1]
            svg.append(f'<line x1="{left:.1f}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>'
                       f'<text class="iso20k-tick" x="{left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end">{v}</text>')
        for i in range(len(bins)):
            x = left + i * bar
            y0 = base
            for part, count in (("failed", failed[i]), ("passed", passed[i])):
                if not count:
                    continue
                bh = plot_h * count / ticks[-1]
                svg.append(f'<rect x="{x + 1:.1f}" y="{y0 - bh:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" '
                           f'fill="{COLOURS[part]}" data-bin="{i * 10}" data-part="{part}" data-count="{count}">'
                           f'<title>{i * 10}–{i * 10 + 10}%: {count} {escape(status_label(part, language))}'
                           f'</title></rect>')
                y0 -= bh
        for i in range(0, 11, 2):  # the bins' edges: 0, 20, ..., 100
            svg.append(f'<text class="iso20k-tick" x="{left + i * bar:.1f}" y="{h - bottom + 15}" '
                       f'text-anchor="middle">{i * 10}</text>')
        mx = left + (w - left - right) * mark / 100
        label = t("pass mark {mark}%", language, mark=f"{mark:g}")
        fits_right = mx + 4 + text_width(label, size) <= w - 2
        lx, anchor = (mx + 4, "start") if fits_right else (mx - 4, "end")
        svg.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top - 8}" y2="{base}" stroke="#333" stroke-dasharray="4 3"/>')
        svg.append(f'<text class="iso20k-passmark" x="{lx:.1f}" y="{top - 10}" text-anchor="{anchor}">'
                   f'{escape(label)}</text>')
        svg.append(f'<text x="{left:.1f}" y="{h - 6}">{escape(t("score (% of points)", language))}</text></svg>')
        charts.append(f'<div class="iso20k-hist" data-track="{track}" data-n="{len(values)}" style="display:inline-block;'
                      f'vertical-align:top;margin:0 24px 12px 0"><b>{title}</b>'
                      f'<div style="color:#555;font-size:12px">{escape(summary)}</div>{"".join(svg)}</div>')
    return "".join(charts)


def completion_chart(history: list, language: str) -> str:
    """Passed required tracks as a share of those required, over time (a line), with ticks at
    every 25 % and the axis title in a band above the plot."""
    w, h, top, bottom, right = 560, 190, 26, 30, 10
    size = 11
    left = 8 + text_width("100%", size)
    plot_h = h - bottom - top
    parts = [f'<svg class="iso20k-history" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'{FONT} font-size="{size}"><title>{escape(t("Required training passed over time", language))}</title>']
    if not history:
        return parts[0] + "</svg>"
    for share in (0, 25, 50, 75, 100):
        y = h - bottom - plot_h * share / 100
        parts.append(f'<line x1="{left:.1f}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#999" if share == 0 else "#e0e0e0"}"/>'
                     f'<text class="iso20k-tick" x="{left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end">{share}%</text>')
    n = len(history)
    points = []
    for i, (day, passed, required) in enumerate(history):
        share = passed / required if required else 0.0
        x = left + (w - left - right) * (i / max(1, n - 1))
        y = h - bottom - plot_h * share
        points.append((x, y, day, passed, required, share))
    parts.append(f'<polyline fill="none" stroke="{COLOURS["passed"]}" stroke-width="2" points="'
                 + " ".join(f"{x:.1f},{y:.1f}" for x, y, *_ in points) + '"/>')
    for x, y, day, passed, required, share in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{COLOURS["passed"]}" '
                     f'data-day="{day.isoformat()}" data-passed="{passed}" data-required="{required}">'
                     f'<title>{day.isoformat()}: {passed} / {required} ({100 * share:.0f}%)</title></circle>')
    parts.append(f'<text class="iso20k-day" x="{left:.1f}" y="{h - 8}">{history[0][0].isoformat()}</text>')
    parts.append(f'<text class="iso20k-day" x="{w - right}" y="{h - 8}" text-anchor="end">'
                 f'{history[-1][0].isoformat()}</text>')
    axis = t("passed, % of required", language)
    parts.append(f'<text x="{left:.1f}" y="{top - 12}" fill="#555">{escape(axis)}</text></svg>')
    return "".join(parts)
