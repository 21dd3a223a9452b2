"""Learners' copies of the question banks: prompts, options and metadata, no keys.

On a company hub a learner's kernel can read everything installed with the package, so the
package carries only these copies (``keys: withheld`` at the top of each file, no ``answer``
and no ``explanation`` in any question).  The banks with the keys (``assessments/`` of the
repository) are installed apart, in ``ISO20K_KEYED_BANKS_DIR``, readable only by the records
service that judges answers (docs/deployment.md).

This module needs nothing but PyYAML and the standard library: setup.py loads it by path to
build the wheel's copies (the build has none of the package's other dependencies).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

#: What a learners' copy never carries.
KEY_FIELDS = ("answer", "explanation")
HEADER = ("# A learners' copy made from the banks with the keys (assessments/): no answers, no\n"
          "# explanations. Do not edit; edit the source bank and rebuild.\n")


def withhold_keys(bank: dict) -> dict:
    """``bank`` (a parsed bank file) without answers and explanations, marked ``keys: withheld``."""
    out = {k: v for k, v in bank.items() if k != "questions"}
    out["keys"] = "withheld"
    out["questions"] = [{k: v for k, v in q.items() if k not in KEY_FIELDS} if isinstance(q, dict) else q
                        for q in bank.get("questions") or []]
    return out


def write_learner_bank(source: Path, target: Path) -> None:
    bank = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HEADER + yaml.safe_dump(withhold_keys(bank), allow_unicode=True, sort_keys=False, width=120),
                      encoding="utf-8")


def write_learner_banks(source: Path, target: Path) -> list[Path]:
    """Learners' copies of every bank ``source/<track>/<module>.yaml`` into ``target`` (replaced)."""
    source, target = Path(source), Path(target)
    shutil.rmtree(target, ignore_errors=True)
    written = []
    for path in sorted(source.glob("*/*.yaml")):
        if path.name.startswith("."):
            continue
        out = target / path.relative_to(source)
        write_learner_bank(path, out)
        written.append(out)
    return written
