"""Build ``course/`` from ``content/``: every module in both languages, plus the start page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..texts.markup import zh_inline
from ..tracks import TRACK_AUDIENCE, TRACK_TITLES, TRACKS
from .notebook import build_notebook, dumps
from .source import ModuleSource, SourceError, parse_source

@dataclass(frozen=True)
class CourseSources:
    start: ModuleSource | None
    modules: dict[str, list[tuple[ModuleSource, ModuleSource | None]]]  # track -> [(en, zh)]

    def all(self) -> list[ModuleSource]:
        out = [self.start] if self.start else []
        for pairs in self.modules.values():
            for en, zh in pairs:
                out.append(en)
                if zh:
                    out.append(zh)
        return out


def load_sources(content_dir: Path) -> CourseSources:
    content_dir = Path(content_dir)
    start_path = content_dir / "START_HERE.md"
    start = parse_source(start_path) if start_path.exists() else None
    modules: dict[str, list] = {}
    for track in TRACKS:
        pairs = []
        for en_path in sorted((content_dir / track).glob("*.en.md")):
            zh_path = en_path.with_name(en_path.name.replace(".en.md", ".zh.md"))
            en = parse_source(en_path, "en")
            zh = parse_source(zh_path, "zh") if zh_path.exists() else None
            pairs.append((en, zh))
        for zh_path in sorted((content_dir / track).glob("*.zh.md")):
            if not zh_path.with_name(zh_path.name.replace(".zh.md", ".en.md")).exists():
                raise SourceError(f"{zh_path}: there is no English version "
                                  f"({zh_path.name.replace('.zh.md', '.en.md')}); every module needs both")
        modules[track] = pairs
    return CourseSources(start, modules)


def toc_markdown(sources: CourseSources) -> str:
    """The start page's list of tracks and modules, with links in both languages."""
    parts = []
    for track in TRACKS:
        pairs = sources.modules.get(track, [])
        title = TRACK_TITLES[track]
        parts.append(f"### {title['en']} · {_zh(title['zh'])}\n\n"
                     f"*For {TRACK_AUDIENCE[track]['en']} · {_zh('适用于' + TRACK_AUDIENCE[track]['zh'])}*\n")
        if not pairs:
            parts.append(f"*(modules coming soon · {_zh('模块即将上线')})*\n")
            continue
        parts.append(f"| # | English | {_zh('简体中文')} |\n|---|---|---|")
        for en, zh in pairs:
            zh_link = f"[{_zh(zh.meta['title'])}]({track}/{zh.stem}.zh.ipynb)" if zh else ""
            parts.append(f"| {en.order} | [{en.meta['title']}]({track}/{en.stem}.en.ipynb) | {zh_link} |")
        parts.append("")
    return "\n".join(parts).strip()


_zh = zh_inline  # Chinese inside the bilingual start page, marked as such


def planned_notebooks(content_dir: Path) -> dict[Path, str]:
    """Relative notebook path -> notebook text, for the whole course."""
    sources = load_sources(content_dir)
    out: dict[Path, str] = {}
    toc = toc_markdown(sources)
    if sources.start:
        out[Path("START_HERE.ipynb")] = dumps(build_notebook(sources.start, toc=toc))
    for track, pairs in sources.modules.items():
        for index, (en, zh) in enumerate(pairs):
            following = pairs[index + 1] if index + 1 < len(pairs) else None
            for lang, src in (("en", en), ("zh", zh)):
                if src is None:
                    continue
                nxt = None
                if following:
                    target = following[0] if lang == "en" or following[1] is None else following[1]
                    nxt = (target.meta["title"], f"{target.stem}.{lang}.ipynb")
                out[Path(track) / f"{src.stem}.{lang}.ipynb"] = dumps(build_notebook(src, nxt))
    return out


def build_course(content_dir: Path, course_dir: Path, check_only: bool = False) -> list[Path]:
    """Write the notebooks (or, with ``check_only``, only list those out of date).  Returns the
    notebooks that differ from what the sources produce, and stale module notebooks."""
    course_dir = Path(course_dir)
    planned = planned_notebooks(content_dir)
    changed = []
    for rel, text in planned.items():
        target = course_dir / rel
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(rel)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    for track in TRACKS:
        for nb in sorted((course_dir / track).glob("*.ipynb")):
            rel = nb.relative_to(course_dir)
            if rel not in planned:
                changed.append(rel)
                if not check_only:
                    nb.unlink()
    return changed
