"""The mapping file from HR job titles (or grades) to the course's roles.

YAML, one title per line, or roles with lists of titles (both forms may be mixed)::

    服务台主管: manager
    运维工程师: staff
    executive: [总经理, 副总经理, 运维总监]

CSV, two columns (job title or grade, role); a first line naming the columns, blank lines and
lines starting with ``#`` are skipped::

    job_title,role
    服务台主管,manager

Roles may be written as in a roster (``manager`` or 经理, ``management-representative`` or
管理者代表, ...).  Titles are matched ignoring case and spaces.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .columns import COLUMN_ALIASES
from .problems import RosterError, RosterProblem
from .read import decode_csv
from .roles import ROLE_TRACKS, canonical_role

_SPACE = re.compile(r"\s+")


def title_key(text: str) -> str:
    return _SPACE.sub("", text).casefold()


_ROLE_HEADINGS = {title_key(n) for n in COLUMN_ALIASES["role"]}


@dataclass(frozen=True)
class RoleMap:
    path: Path
    roles: dict[str, str]        # title_key(title) -> role
    lines: dict[str, int]        # title_key(title) -> line in the mapping file

    def role_for(self, title: str) -> str | None:
        return self.roles.get(title_key(title)) if title else None


def load_role_map(path: Path) -> RoleMap:
    """The mapping in ``path``, or :class:`RosterError` with every problem and its line."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(path, [RosterProblem(None, None, "the role mapping file does not exist",
                                               "check the path given to --role-map (or ISO20K_ROSTER_ROLE_MAP)")])
    suffix = path.suffix.lower()
    problems: list[RosterProblem] = []
    if suffix in (".yaml", ".yml"):
        entries = _yaml_entries(path)
    elif suffix == ".csv":
        entries = _csv_entries(path, problems)
    else:
        raise RosterError(path, [RosterProblem(None, None, f"'{suffix or path.name}' mapping files cannot be read",
                                               "write the mapping as .yaml or .csv (see docs/roster.md)")])
    roles: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, title, role_text in entries:
        if not title:
            problems.append(RosterProblem(line, None, "the job title is empty", "write the title before the role"))
            continue
        role = canonical_role(role_text) if role_text else None
        if role is None:
            problems.append(RosterProblem(
                line, None, f"'{role_text}' (for '{title}') is not a role" if role_text else f"'{title}' has no role",
                f"use one of: {', '.join(ROLE_TRACKS)}"))
            continue
        key = title_key(title)
        if key in roles and roles[key] != role:
            problems.append(RosterProblem(line, None, f"'{title}' is also mapped on line {lines[key]}, to "
                                          f"'{roles[key]}'", "keep one line per title"))
            continue
        roles.setdefault(key, role)
        lines.setdefault(key, line)
    if problems:
        raise RosterError(path, sorted(problems, key=lambda p: p.line or 0))
    if not roles:
        raise RosterError(path, [RosterProblem(None, None, "the mapping file maps no job titles",
                                               "write one line per title, e.g. '服务台主管: manager'")])
    return RoleMap(path, roles, lines)


def _yaml_entries(path: Path) -> list[tuple[int, str, str]]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        raise RosterError(path, [RosterProblem(None, None, "the file is not UTF-8 text",
                                               "save it as UTF-8 in your editor")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RosterError(path, [RosterProblem(mark.line + 1 if mark else None, None,
                                               f"this is not valid YAML ({getattr(exc, 'problem', exc)})",
                                               "write one 'title: role' per line (see docs/roster.md)")]) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise RosterError(path, [RosterProblem(root.start_mark.line + 1, None, "the file is not a mapping",
                                               "write one 'title: role' per line (see docs/roster.md)")])
    entries = []
    for key, value in root.value:
        line = key.start_mark.line + 1
        if isinstance(value, yaml.SequenceNode):       # role: [title, title, ...]
            for item in value.value:
                if not isinstance(item, yaml.ScalarNode):
                    entries.append((item.start_mark.line + 1, "", ""))
                    continue
                entries.append((item.start_mark.line + 1, str(item.value).strip(), str(key.value).strip()))
        elif isinstance(value, yaml.ScalarNode) and isinstance(key, yaml.ScalarNode):
            entries.append((line, str(key.value).strip(), str(value.value).strip()))
        else:
            entries.append((line, str(getattr(key, "value", "")).strip(), ""))
    return entries


def _csv_entries(path: Path, problems: list[RosterProblem]) -> list[tuple[int, str, str]]:
    text, _ = decode_csv(path, None)
    reader = csv.reader(io.StringIO(text, newline=""))
    entries: list[tuple[int, str, str]] = []
    first = True
    for values in reader:
        line = reader.line_num
        cells = [v.strip() for v in values]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first:
            first = False
            if len(cells) >= 2 and title_key(cells[1]) in _ROLE_HEADINGS:
                continue  # the line naming the columns
        if len(cells) > 2 and any(cells[2:]):
            problems.append(RosterProblem(line, None, f"this line has {len(cells)} values, not 2",
                                          "put a title that contains a comma in double quotes"))
            continue
        entries.append((line, cells[0], cells[1] if len(cells) > 1 else ""))
    return entries
