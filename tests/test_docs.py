"""The documentation stays true: commands and settings it names exist, and every command and
setting is documented somewhere."""

from __future__ import annotations

import re

from iso20k.cli import main
from iso20k.settings import REPO_ROOT, Settings

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
TEXT = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
COMMANDS = set(main.commands)
SETTINGS = {f"ISO20K_{name.upper()}" for name in Settings.model_fields}


def test_every_command_the_docs_name_exists():
    named = set(re.findall(r"\biso20k ([a-z][a-z-]+)", TEXT))
    assert named - COMMANDS == set()


def test_every_command_is_documented():
    undocumented = {c for c in COMMANDS if f"iso20k {c}" not in TEXT}
    assert undocumented == set()


def test_every_setting_the_docs_name_exists():
    named = set(re.findall(r"\bISO20K_[A-Z0-9_]+[A-Z0-9]", TEXT))
    assert named - SETTINGS == set()


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands[:2] == ["./scripts/start.sh", "./scripts/test.sh"]
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["./scripts/test.sh"]
