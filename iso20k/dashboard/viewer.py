"""Who is looking at the dashboard, and which departments they may see, decided from the roster.

- a department manager (roster role ``manager``) sees their own department, plus any listed for
  them in ``ISO20K_DASHBOARD_MANAGER_DEPARTMENTS``;
- the management representative and executives see the whole company;
- trainers see the whole company: employee ids (user names) in ``ISO20K_TRAINERS``, or members of a
  group named in ``ISO20K_DASHBOARD_TRAINER_GROUPS`` (the hub's ``formgrade-<course>`` group);
- the operator of a single-user dashboard (whoever started it on 127.0.0.1, or holds its token)
  sees the whole company;
- anyone else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from ..results.rules import id_in_roster, hub_user_name

COMPANY_ROLES = frozenset({"management-representative", "executive"})


class NotAllowed(Exception):
    """The person looking may not see the dashboard."""


@dataclass(frozen=True)
class Identity:
    """Who the server authenticated (handed to the page's kernel through a signed channel)."""

    name: str
    groups: tuple[str, ...] = ()
    operator: bool = False  # the single-user dashboard's own operator


@dataclass(frozen=True)
class Viewer:
    """A person allowed to look, and what they may see: ``departments`` None is the company."""

    name: str
    departments: frozenset[str] | None
    why: str

    @property
    def whole_company(self) -> bool:
        return self.departments is None

    def may_see(self, department: str) -> bool:
        return self.departments is None or department in self.departments


def parse_manager_departments(value: str | None) -> dict[str, set[str]]:
    """``"E0042=Service Desk|Operations; E0043=Finance"`` -> {employee id: departments}."""
    out: dict[str, set[str]] = {}
    for item in (value or "").split(";"):
        if not item.strip():
            continue
        name, sep, departments = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"ISO20K_DASHBOARD_MANAGER_DEPARTMENTS: {item.strip()!r} is not "
                             "'employee_id=Department|Other department'")
        out.setdefault(name.strip(), set()).update(d.strip() for d in departments.split("|") if d.strip())
    return out


def viewer_for(identity: Identity | None, roster: dict[str, tuple[str, str]], *, trainers: list[str] = (),
               trainer_groups: list[str] = (), manager_departments: dict[str, set[str]] | None = None) -> Viewer:
    """The :class:`Viewer` for ``identity``; ``roster`` maps active employee ids to (role,
    department).  Raises :class:`NotAllowed` for anyone the rules above do not admit."""
    if identity is None:
        raise NotAllowed("the server did not say who is looking")
    if identity.operator:
        return Viewer(identity.name, None, "operator of this dashboard")
    # Employee ids are unique ignoring case; the hub's user names are the ids in lower case.
    name = hub_user_name(identity.name)
    if name in {hub_user_name(t) for t in trainers} or set(identity.groups) & set(trainer_groups):
        return Viewer(identity.name, None, "trainer")
    role, department = roster.get(id_in_roster(roster)(name), (None, None))
    if role in COMPANY_ROLES:
        return Viewer(identity.name, None, role)
    if role == "manager":
        extra = {hub_user_name(k): v for k, v in (manager_departments or {}).items()}.get(name, set())
        return Viewer(identity.name, frozenset({department, *extra}), "department manager")
    raise NotAllowed(f"{identity.name} is not a manager, executive, management representative or trainer")
