"""Item analysis from the gradebook: facility and discrimination of every auto-graded item.

* facility: the share of available points candidates scored on the item (1.0 = everyone right);
* discrimination: the correlation between the item score and the candidate's score on all the
  *other* items (corrected item-total correlation).  Near zero or negative means the item does
  not separate strong from weak candidates: check its key and wording.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

from .environment import open_gradebook


@dataclass(frozen=True)
class ItemStats:
    item: str
    max_score: float
    candidates: int
    facility: float
    discrimination: float | None

    @property
    def verdict(self) -> str:
        if self.discrimination is None:
            return "not enough data"
        if self.discrimination < 0:
            return "check the key: strong candidates do worse"
        if self.facility > 0.95:
            return "very easy"
        if self.facility < 0.2:
            return "very hard"
        if self.discrimination < 0.2:
            return "weak discrimination"
        return "ok"


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r (None under three pairs, or when either side does not vary)."""
    if len(xs) < 3:
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # a constant side
        return None


def item_scores(db_url: str, assignment: str) -> tuple[list[str], dict[str, float], dict[str, dict[str, float]]]:
    """Items (auto-graded test cells, in notebook order), their maximum, and each student's scores."""
    with open_gradebook(db_url) as gb:
        a = gb.find_assignment(assignment)
        items, maxima = [], {}
        for nb in a.notebooks:
            for cell in nb.grade_cells:
                if cell.cell_type == "code":
                    items.append(cell.name)
                    maxima[cell.name] = cell.max_score
        scores: dict[str, dict[str, float]] = {}
        for sub in a.submissions:
            for snb in sub.notebooks:
                for grade in snb.grades:
                    if grade.name in maxima:
                        scores.setdefault(sub.student.id, {})[grade.name] = grade.score or 0.0
    order = {name: i for i, name in enumerate(items)}
    return sorted(items, key=order.get), maxima, scores


def analyse(db_url: str, assignment: str) -> list[ItemStats]:
    items, maxima, scores = item_scores(db_url, assignment)
    students = sorted(scores)
    totals = {s: sum(scores[s].values()) for s in students}
    stats = []
    for item in items:
        xs = [scores[s].get(item, 0.0) for s in students]
        rest = [totals[s] - x for s, x in zip(students, xs)]
        facility = (sum(xs) / (len(xs) * maxima[item])) if xs and maxima[item] else 0.0
        stats.append(ItemStats(item, maxima[item], len(xs), facility, _pearson(xs, rest)))
    return stats


def slot_items(course_root: Path, assignment: str, students) -> dict[str, dict[str, str]]:
    """student -> grade cell of each slot (``s01-test``) -> the pool item it held on that student's
    form, from the autograded notebooks (whose form the grader wrote, drawn again from the keyed
    pool: never the learner's claim).  Empty for an assessment without forms."""
    import json

    out: dict[str, dict[str, str]] = {}
    for student in students:
        path = Path(course_root) / "autograded" / student / assignment / f"{assignment}.ipynb"
        try:
            form = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("iso20k_form")
        except (OSError, ValueError):
            continue
        if isinstance(form, dict):
            out[student] = {f"{s['slot']}-test": s["item"] for s in form.get("slots", [])}
    return out


def analyse_forms(db_url: str, assignment: str, course_root: Path) -> list[ItemStats]:
    """Item analysis across per-learner forms: each pool item over the candidates whose form held
    it (facility; discrimination against the rest of each candidate's own form).  Fixed items
    (on every form) keep their grade cell's name.  Without forms it is :func:`analyse`."""
    items, maxima, scores = item_scores(db_url, assignment)
    slots = slot_items(course_root, assignment, scores)
    if not slots:
        return analyse(db_url, assignment)
    totals = {s: sum(v.values()) for s, v in scores.items()}
    per_item: dict[str, list[tuple[float, float]]] = {}
    item_max: dict[str, float] = {}
    for student, by_cell in scores.items():
        for cell, score in by_cell.items():
            name = slots.get(student, {}).get(cell, cell)
            per_item.setdefault(name, []).append((score, totals[student] - score))
            item_max[name] = maxima[cell]
    stats = []
    for name in sorted(per_item):
        xs = [x for x, _ in per_item[name]]
        rest = [r for _, r in per_item[name]]
        facility = sum(xs) / (len(xs) * item_max[name]) if xs and item_max[name] else 0.0
        stats.append(ItemStats(name, item_max[name], len(xs), facility, _pearson(xs, rest)))
    return stats


def flagged(stats: list[ItemStats], settings) -> list[tuple[ItemStats, str]]:
    """Items whose statistics fall outside the settings' bounds, each with the reason to review it."""
    out = []
    for s in stats:
        reasons = []
        if s.facility < settings.item_facility_min:
            reasons.append(f"facility {s.facility:.2f} below {settings.item_facility_min:g}")
        if s.facility > settings.item_facility_max:
            reasons.append(f"facility {s.facility:.2f} above {settings.item_facility_max:g}")
        if s.discrimination is not None and s.discrimination < settings.item_discrimination_min:
            reasons.append(f"discrimination {s.discrimination:.2f} below {settings.item_discrimination_min:g}")
        if reasons:
            out.append((s, "; ".join(reasons)))
    return out


def write_csv(stats: list[ItemStats], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item", "max_score", "candidates", "facility", "discrimination", "verdict"])
        for s in stats:
            writer.writerow([s.item, s.max_score, s.candidates, f"{s.facility:.3f}",
                             "" if s.discrimination is None else f"{s.discrimination:.3f}", s.verdict])
