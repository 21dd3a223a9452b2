"""Who reaches what through the hub: JupyterHub's roles and scopes (RBAC), the one table.

:func:`iso20k.hub.config.configure` builds ``c.JupyterHub.load_roles`` and the scopes of a
learner server's token from it; docs/deployment.md shows :func:`markdown` verbatim (a test keeps
them the same), so the rules are written here and nowhere else.  What the hub cannot decide is
decided where the data is read: which rows a dashboard viewer sees (the roster,
:mod:`iso20k.dashboard.viewer`), whose answers the records service stores (the owner of the
token, whatever a request claims), which grade changes the trail writer accepts (the formgrader
service's token, with the trainer's own; :mod:`iso20k.hub.records_service`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import COURSE_ID, GRADERS_GROUP

# The hub's services, by the name the hub knows them by (their address is /services/<name>/).
RECORDS = "records"
ROSTER_SYNC = "roster-sync"
DASHBOARD = "dashboard"
VERIFY = "verify"
REMINDERS = "reminders"
#: nbgrader finds the formgrader of a course as the hub service named after the course.
FORMGRADER = COURSE_ID

#: Hub groups (kept by ``iso20k hub-sync`` from the roster's roles and ISO20K_TRAINERS) whose
#: members may open the dashboard.
DASHBOARD_GROUPS = ("role-manager", "role-executive", "role-management-representative", GRADERS_GROUP)


@dataclass(frozen=True)
class HubRole:
    """One JupyterHub role: its name, who holds it, its scopes, and what that means in words."""

    name: str
    holders: str  # who holds it, in words (the docs' column)
    scopes: tuple[str, ...]
    reaches: str  # what it lets them reach, in words
    groups: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def load_role(self) -> dict:
        """The role as ``c.JupyterHub.load_roles`` takes it (JupyterHub's own ``user`` role is
        given to every user by the hub; it is redefined here, so it names no holders)."""
        role: dict = {"name": self.name, "scopes": list(self.scopes)}
        if self.groups:
            role["groups"] = list(self.groups)
        if self.services:
            role["services"] = list(self.services)
        return role


#: Scopes of the roster-sync service: create, update and remove hub users and groups.
ROSTER_SYNC_SCOPES = ("admin:users", "admin:groups", "list:users", "read:users", "list:groups", "read:groups")

ROLES: tuple[HubRole, ...] = (
    HubRole("user", "every hub user (each employee the roster put on the hub)",
            ("self", f"access:services!service={RECORDS}"),
            "their own server; the records service, which records under the token's owner only"),
    HubRole(ROSTER_SYNC, f"the `{ROSTER_SYNC}` service (`iso20k hub-sync`)", ROSTER_SYNC_SCOPES,
            "hub users and groups, nothing else (no servers, tokens, proxy or other services)",
            services=(ROSTER_SYNC,)),
    HubRole(GRADERS_GROUP, f"group `{GRADERS_GROUP}`: the trainers (ISO20K_TRAINERS) and the grader account",
            (f"access:services!service={FORMGRADER}", "list:services", f"read:services!service={FORMGRADER}"),
            f"the formgrader (`/services/{FORMGRADER}/`), nbgrader's shared grading server that runs as the "
            "grader account",
            groups=(GRADERS_GROUP,)),
    HubRole("dashboard-viewer", "groups " + ", ".join(f"`{g}`" for g in DASHBOARD_GROUPS),
            (f"access:services!service={DASHBOARD}", f"read:services!service={DASHBOARD}"),
            f"the dashboard (`/services/{DASHBOARD}/`); the roster decides which rows (own department(s) "
            "for a manager, the company for the others)",
            groups=DASHBOARD_GROUPS),
)

#: Scopes of the token the hub gives each learner's server: report activity, be reached by its
#: own user, and reach the records service (no more than its user may).
SERVER_TOKEN_SCOPES = ("users:activity!user", "access:servers!server", f"access:services!service={RECORDS}")

#: Services the hub starts that hold no role: no hub rights beyond asking who owns a token.
NO_ROLE = {
    RECORDS: "asks the hub who owns a token (each learner's, the formgrader's, a trainer's); nothing else",
    FORMGRADER: "its own token identifies grade changes from the formgrader to the trail writer; no hub rights",
    DASHBOARD: "none (signs viewers in through the hub's OAuth)",
    VERIFY: "none (public page: anyone holding a certificate checks its code)",
}


def load_roles() -> list[dict]:
    """``c.JupyterHub.load_roles``."""
    return [role.load_role() for role in ROLES]


def markdown() -> str:
    """The table docs/deployment.md shows ("The hub's roles and scopes")."""
    lines = ["| hub role | held by | scopes | reaches |", "|---|---|---|---|"]
    for role in ROLES:
        scopes = ", ".join(f"`{s}`" for s in role.scopes)
        lines.append(f"| `{role.name}` | {role.holders} | {scopes} | {role.reaches} |")
    scopes = ", ".join(f"`{s}`" for s in SERVER_TOKEN_SCOPES)
    lines.append(f"| (a learner server's token) | each learner's own server | {scopes} | as its user, no more |")
    for service, what in NO_ROLE.items():
        lines.append(f"| (no role) | the `{service}` service | — | {what} |")
    return "\n".join(lines)
