"""Pre-rendered SVG diagrams (flow, hierarchy, timeline, cycle) from small YAML specs.

The pictures are self-contained SVG (no scripts, no web fonts, no network), so they show the
same in JupyterLab, Voila and an exported HTML file with no internet access."""

from __future__ import annotations

import base64
import html
import math
import unicodedata

from ..texts import html_lang

FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',Arial,sans-serif"
SIZE = 14
BLUE, LIGHT, INK, GREY = "#0969da", "#ddf4ff", "#1f2328", "#57606a"
KINDS = {"flow": ("steps", 2, 16), "hierarchy": ("levels", 2, 6), "timeline": ("events", 2, 10),
         "cycle": ("steps", 3, 6)}


_NO_LINE_START = set("）)」』】〕，。、：；！？,.:;!?%")


class DiagramError(ValueError):
    """A diagram block is not right."""


def _width(text: str, size: int = SIZE) -> float:
    """Rendered width estimate: CJK and full-width characters are square, Latin ones narrower."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text)


def wrap(text: str, max_width: float, size: int = SIZE) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` (words for Latin, characters for CJK)."""
    lines, line = [], ""
    tokens: list[str] = []
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF" or ch == " " or not tokens or tokens[-1].endswith(" ") \
                or unicodedata.east_asian_width(tokens[-1][-1]) in "WF":
            tokens.append(ch)
        else:
            tokens[-1] += ch
    for token in tokens:
        candidate = line + token
        # Closing punctuation never starts a line (Chinese typesetting rule); let it overhang.
        if line and _width(candidate.strip(), size) > max_width and token[0] not in _NO_LINE_START:
            lines.append(line.strip())
            line = token.lstrip()
        else:
            line = candidate
    if line.strip():
        lines.append(line.strip())
    return lines or [""]


def _text(x: float, y: float, lines: list[str], size: int = SIZE, weight: str = "normal",
          colour: str = INK, anchor: str = "middle") -> str:
    """Lines of text centred vertically on ``y``."""
    top = y - (len(lines) - 1) * size * 1.25 / 2
    spans = "".join(f'<tspan x="{x:.1f}" y="{top + i * size * 1.25 + size * 0.35:.1f}">{html.escape(s)}</tspan>'
                    for i, s in enumerate(lines))
    return (f'<text font-size="{size}" font-weight="{weight}" fill="{colour}" '
            f'text-anchor="{anchor}">{spans}</text>')


def _box(x, y, w, h, lines, fill=LIGHT) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="8" fill="{fill}" '
            f'stroke="{BLUE}" stroke-width="1.5"/>' + _text(x + w / 2, y + h / 2, lines))


def _arrow(points: list[tuple[float, float]]) -> str:
    d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
    return f'<path d="{d}" fill="none" stroke="{GREY}" stroke-width="1.8" marker-end="url(#arrow)"/>'


def _svg(width: float, height: float, title: str, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" font-family="{FONT}">'
            f'<title>{html.escape(title)}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{GREY}"/>'
            '</marker></defs>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            + _text(width / 2, 24, [title], 16, "bold") + body + "</svg>")


def flow(title: str, steps: list[str]) -> str:
    per_row = 4
    box_w, gap_x, gap_y, margin = 170.0, 40.0, 46.0, 20.0
    wrapped = [wrap(f"{i}. {s}", box_w - 16) for i, s in enumerate(steps, 1)]
    box_h = max(48.0, max(len(w) for w in wrapped) * SIZE * 1.25 + 20)
    rows = math.ceil(len(steps) / per_row)
    cols = min(per_row, len(steps))
    width = margin * 2 + cols * box_w + (cols - 1) * gap_x
    height = 50 + rows * box_h + (rows - 1) * gap_y + margin
    body, centres = [], []
    for i, lines in enumerate(wrapped):
        r, c = divmod(i, per_row)
        x = margin + c * (box_w + gap_x)
        y = 50 + r * (box_h + gap_y)
        body.append(_box(x, y, box_w, box_h, lines))
        centres.append((x, y))
    for i in range(len(steps) - 1):
        (x1, y1), (x2, y2) = centres[i], centres[i + 1]
        if y1 == y2:
            body.append(_arrow([(x1 + box_w, y1 + box_h / 2), (x2 - 2, y2 + box_h / 2)]))
        else:  # down to the next row, back to its first box
            mid = y1 + box_h + gap_y / 2
            body.append(_arrow([(x1 + box_w / 2, y1 + box_h), (x1 + box_w / 2, mid),
                                (x2 + box_w / 2, mid), (x2 + box_w / 2, y2 - 2)]))
    return _svg(width, height, title, "".join(body))


def hierarchy(title: str, levels: list[str]) -> str:
    n = len(levels)
    width, level_h, top_w, base_w, margin = 640.0, 62.0, 200.0, 600.0, 20.0
    body = []
    for i, label in enumerate(levels):
        w_top = top_w + (base_w - top_w) * i / n
        w_bottom = top_w + (base_w - top_w) * (i + 1) / n
        y = 50 + i * (level_h + 4)
        cx = width / 2
        pts = [(cx - w_top / 2, y), (cx + w_top / 2, y), (cx + w_bottom / 2, y + level_h), (cx - w_bottom / 2, y + level_h)]
        shade = ["#0969da", "#218bff", "#54aeff", "#80ccff", "#b6e3ff", "#ddf4ff"][i]
        colour = "#ffffff" if i < 2 else INK
        body.append(f'<polygon points="{" ".join(f"{x:.1f},{yy:.1f}" for x, yy in pts)}" fill="{shade}" '
                    f'stroke="#ffffff" stroke-width="2"/>')
        body.append(_text(cx, y + level_h / 2, wrap(label, w_top - 30), colour=colour, weight="bold"))
    height = 50 + n * (level_h + 4) + margin
    return _svg(width, height, title, "".join(body))


def timeline(title: str, events: list[dict]) -> str:
    col, margin = 150.0, 30.0
    width = margin * 2 + col * len(events)
    line_y = 100.0
    whats = [wrap(str(e["what"]), col - 14, 13) for e in events]
    height = line_y + 30 + max(len(w) for w in whats) * 13 * 1.25 + margin
    body = [f'<line x1="{margin:.1f}" y1="{line_y}" x2="{width - margin:.1f}" y2="{line_y}" '
            f'stroke="{GREY}" stroke-width="2" marker-end="url(#arrow)"/>']
    for i, (event, what) in enumerate(zip(events, whats)):
        x = margin + col * i + col / 2
        body.append(f'<circle cx="{x:.1f}" cy="{line_y}" r="8" fill="{BLUE}"/>')
        body.append(_text(x, line_y - 30, wrap(str(event["when"]), col - 14), weight="bold", colour=BLUE))
        top = line_y + 24 + (len(what) - 1) * 13 * 1.25 / 2
        body.append(_text(x, top, what, 13))
    return _svg(width, height, title, "".join(body))


def cycle(title: str, steps: list[str]) -> str:
    n = len(steps)
    radius, box_w, box_h = 150.0, 170.0, 56.0
    width, height = 2 * radius + box_w + 60, 2 * radius + box_h + 90
    cx, cy = width / 2, 50 + box_h / 2 + radius
    centres = [(cx + radius * math.sin(2 * math.pi * i / n), cy - radius * math.cos(2 * math.pi * i / n))
               for i in range(n)]
    body = []
    for i in range(n):
        (x1, y1), (x2, y2) = centres[i], centres[(i + 1) % n]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        # leave the boxes: shorten the chord by the box's half extent along its direction
        trim = min(abs(box_w / 2 / (dx / length)) if dx else 1e9, abs(box_h / 2 / (dy / length)) if dy else 1e9) + 6
        body.append(_arrow([(x1 + dx / length * trim, y1 + dy / length * trim),
                            (x2 - dx / length * trim, y2 - dy / length * trim)]))
    for (x, y), label in zip(centres, steps):
        body.append(_box(x - box_w / 2, y - box_h / 2, box_w, box_h, wrap(label, box_w - 16)))
    return _svg(width, height, title, "".join(body))


def render(spec: dict) -> str:
    """The SVG text for a diagram spec; :class:`DiagramError` says what is wrong with it."""
    if not isinstance(spec, dict):
        raise DiagramError("a diagram block must hold a YAML mapping with kind and title")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise DiagramError(f"unknown diagram kind {kind!r}; use one of {', '.join(KINDS)}")
    field, low, high = KINDS[kind]
    items = spec.get(field)
    title = str(spec.get("title") or "").strip()
    if not title:
        raise DiagramError(f"the {kind} diagram has no title")
    if not isinstance(items, list) or not low <= len(items) <= high:
        raise DiagramError(f"a {kind} diagram needs a list '{field}' of {low} to {high} entries")
    if kind == "timeline":
        for e in items:
            if not isinstance(e, dict) or not {"when", "what"} <= set(e):
                raise DiagramError("every timeline event needs 'when' and 'what'")
        return timeline(title, items)
    items = [str(s).strip() for s in items]
    return {"flow": flow, "hierarchy": hierarchy, "cycle": cycle}[kind](title, items)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def img_tag(spec: dict, language: str | None = None) -> str:
    """An ``<img>`` holding the pre-rendered picture (JupyterLab's sanitizer keeps data: images).
    With ``language``, the picture says which language its text is in: an image is a document of
    its own, and without it Chromium draws Chinese labels with Japanese glyph forms."""
    svg = render(spec)
    if language:
        lang = html_lang(language)
        svg = svg.replace("<svg ", f'<svg xml:lang="{lang}" lang="{lang}" ', 1)
    alt = html.escape(str(spec["title"]), quote=True)
    return f'<img alt="{alt}" src="{data_uri(svg)}" style="max-width:100%;height:auto"/>'
