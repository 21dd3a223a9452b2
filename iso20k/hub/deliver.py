"""Deliver the course notebooks into a learner's home without overwriting their work.

Run as the learner (the hub starts it with the learner's user id before their server), so a
link the learner planted can only ever reach files the learner could write anyway::

    python -m iso20k.hub.deliver SOURCE TARGET [LANGUAGE]

Rules, per file of SOURCE:
- missing in TARGET: copied;
- unchanged since it was last delivered (its hash equals the one in the manifest): replaced by
  the new version when the course changed;
- changed by the learner: kept as it is; the new version is written beside it as
  ``NAME.new-version.ipynb`` so nothing the learner wrote is lost and the update is not missed.
The manifest (``.iso20k-delivered.json`` in TARGET) remembers what was delivered.
With LANGUAGE ``zh``, JupyterLab's menus start in Chinese unless the learner already chose a
language in JupyterLab (their own setting is never overwritten).

Why not nbgitpuller: it needs the course as a git repository the learner's server can pull from,
and this product's course ships inside the package (no repository holding answer keys, exams or
the gradebook may be reachable by learners); a copy at spawn has the same no-clobber guarantee.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".iso20k-delivered.json"
DELIVERED_SUFFIXES = (".ipynb", ".md", ".png", ".svg")


@dataclass
class Delivery:
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # learner's edits kept, new version beside

    def summary(self) -> str:
        return f"{len(self.copied)} new, {len(self.updated)} updated, {len(self.kept)} kept (changed by the learner)"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def deliver(source: Path, target: Path) -> Delivery:
    source, result = Path(source), Delivery()
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    for src in sorted(p for p in source.rglob("*") if p.is_file() and p.suffix in DELIVERED_SUFFIXES
                      and not any(part.startswith(".") for part in p.relative_to(source).parts)):
        rel = src.relative_to(source).as_posix()
        dest = target / rel
        new = _digest(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_symlink():
            dest.unlink()  # a link is never followed; the lesson is delivered as a plain file
        if not dest.exists():
            shutil.copyfile(src, dest)
            result.copied.append(rel)
        else:
            current = _digest(dest)
            if current == new:
                pass
            elif current == manifest.get(rel):
                shutil.copyfile(src, dest)
                result.updated.append(rel)
            else:
                shutil.copyfile(src, dest.with_name(dest.stem + ".new-version" + dest.suffix))
                result.kept.append(rel)
        manifest[rel] = new
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, manifest_path)
    return result


LAB_LOCALES = {"zh": "zh_CN", "en": "en"}


def set_lab_language(home: Path, language: str) -> bool:
    """JupyterLab's menu language for a learner who has not chosen one; True when written."""
    path = (home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "translation-extension"
            / "plugin.jupyterlab-settings")
    if path.exists() or path.is_symlink() or language not in LAB_LOCALES:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"locale": LAB_LOCALES[language]}), encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (2, 3):
        print("usage: python -m iso20k.hub.deliver SOURCE TARGET [LANGUAGE]", file=sys.stderr)
        return 2
    home = Path.home()
    home.chmod(0o700)  # other learners never read this home, whatever useradd's defaults were
    print(deliver(Path(argv[0]), Path(argv[1])).summary())
    if len(argv) == 3:
        set_lab_language(home, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
