"""Bring the hub's users and groups in line with the roster (``iso20k hub-sync``).

Active employees become hub users (their user name is the employee id in lower case); groups
say what each person is: ``role-<role>``, ``dept-<department>``, ``track-<track>``, and every
learner is in ``nbgrader-<course>`` (nbgrader's students group), and the trainers named in
ISO20K_TRAINERS are in ``formgrade-<course>`` (nbgrader's graders group: the formgrader and
the whole-company dashboard).  People no longer active lose
their hub account; their records stay in the progress store and their home folder on disk.
Hub users the roster does not know (IT admins, trainers' service accounts) are left alone.

The hub is reached through its REST API with the ``roster-sync`` service's token, whose role
allows users and groups only (see :data:`iso20k.hub.roles.ROSTER_SYNC_SCOPES`).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from ..http_json import HttpRefused, HttpUnreachable, call_json
from ..settings import GRADERS_GROUP, STUDENTS_GROUP  # noqa: F401 - named here for the hub's modules
from .learners import hub_user_name

MANAGED_GROUP_PREFIXES = ("role-", "dept-", "track-", "nbgrader-", "formgrade-")


class HubApiError(RuntimeError):
    pass


@dataclass
class AccountPlan:
    add_users: list[str] = field(default_factory=list)
    remove_users: list[str] = field(default_factory=list)
    group_adds: dict[str, list[str]] = field(default_factory=dict)
    group_removes: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    no_account: list[str] = field(default_factory=list)  # not added: no operating-system account
    unknown_trainers: list[str] = field(default_factory=list)  # in ISO20K_TRAINERS, not active employees

    def summary(self) -> str:
        joins = sum(len(v) for v in self.group_adds.values())
        leaves = sum(len(v) for v in self.group_removes.values())
        text = (f"{len(self.add_users)} hub users added, {len(self.remove_users)} removed (no longer active; "
                f"their records are kept), {self.unchanged} unchanged; {joins} group memberships added, "
                f"{leaves} removed")
        if self.no_account:
            shown = ", ".join(self.no_account[:20]) + (" …" if len(self.no_account) > 20 else "")
            text += (f".\nNOT added, {len(self.no_account)} without an operating-system account of that name "
                     f"(create them, or set ISO20K_HUB_CREATE_SYSTEM_USERS=true): {shown}")
        if self.unknown_trainers:
            text += (f".\nNOT made trainers, not active employees on the roster (check ISO20K_TRAINERS): "
                     f"{', '.join(self.unknown_trainers)}")
        return text


def desired_groups(person: dict, trainer: bool = False) -> set[str]:
    groups = {f"role-{person['role']}", f"dept-{person['department']}", STUDENTS_GROUP}
    groups |= {f"track-{t}" for t in person.get("tracks", {})}
    if trainer:
        groups.add(GRADERS_GROUP)
    return groups


def plan_accounts(people: list[dict], hub_users: set[str], hub_groups: dict[str, set[str]],
                  has_account=None, trainers: list[str] = ()) -> AccountPlan:
    """What to change on the hub so it matches ``people`` (the roster, inactive included) and
    ``trainers`` (employee ids).  ``has_account(name)``, when given, says whether a user may be
    added (an OS account exists)."""
    plan = AccountPlan()
    active = {hub_user_name(p["employee_id"]): p for p in people if p["active"]}
    trainer_names = {hub_user_name(t) for t in trainers}
    plan.unknown_trainers = sorted(t for t in trainers if hub_user_name(t) not in active)
    if has_account is not None:
        plan.no_account = sorted(n for n in active if n not in hub_users and not has_account(n))
        for name in plan.no_account:
            del active[name]
    known = {hub_user_name(p["employee_id"]) for p in people}
    plan.add_users = sorted(set(active) - hub_users)
    plan.remove_users = sorted((known - set(active)) & hub_users)
    plan.unchanged = len(set(active) & hub_users)
    wanted: dict[str, set[str]] = {}
    for name, person in active.items():
        for group in desired_groups(person, trainer=name in trainer_names):
            wanted.setdefault(group, set()).add(name)
    managed = {g for g in hub_groups if g.startswith(MANAGED_GROUP_PREFIXES)} | set(wanted)
    for group in sorted(managed):
        have = hub_groups.get(group, set())
        want = wanted.get(group, set())
        if want - have:
            plan.group_adds[group] = sorted(want - have)
        # only people the roster knows are taken out of a group; others were put there by hand
        leave = (have - want) & known
        if leave:
            plan.group_removes[group] = sorted(leave)
    return plan


class HubClient:
    """The few calls of JupyterHub's REST API that account syncing needs."""

    def __init__(self, api_url: str, token: str, timeout_s: float = 30.0):
        self.api_url = api_url.rstrip("/") + "/"
        self._token = token
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body=None, **query):
        url = self.api_url + "/".join(urllib.parse.quote(part, safe="") for part in path.split("/"))
        try:
            return call_json(url, self._token, method, body, self.timeout_s, **query)
        except HttpRefused as exc:
            raise HubApiError(f"hub refused {method} {path}: {exc}") from None
        except HttpUnreachable as exc:
            raise HubApiError(f"hub unreachable at {self.api_url}: {exc}") from None

    def _pages(self, path: str):
        offset = 0
        while True:
            page = self._call("GET", path, offset=offset, limit=200)
            yield from page
            if len(page) < 200:
                return
            offset += len(page)

    def users(self) -> set[str]:
        return {u["name"] for u in self._pages("users")}

    def groups(self) -> dict[str, set[str]]:
        return {g["name"]: set(g.get("users", [])) for g in self._pages("groups")}

    def add_users(self, names: list[str]) -> None:
        for start in range(0, len(names), 200):
            self._call("POST", "users", {"usernames": names[start:start + 200]})

    def remove_user(self, name: str) -> None:
        self._call("DELETE", f"users/{name}")

    def add_to_group(self, group: str, names: list[str], exists: bool) -> None:
        if not exists:
            self._call("POST", f"groups/{group}", {})
        self._call("POST", f"groups/{group}/users", {"users": names})

    def remove_from_group(self, group: str, names: list[str]) -> None:
        self._call("DELETE", f"groups/{group}/users", {"users": names})


def apply_plan(client: HubClient, plan: AccountPlan, existing_groups: set[str]) -> None:
    if plan.add_users:
        client.add_users(plan.add_users)
    for group, names in plan.group_adds.items():
        client.add_to_group(group, names, exists=group in existing_groups)
    for group, names in plan.group_removes.items():
        client.remove_from_group(group, names)
    for name in plan.remove_users:
        client.remove_user(name)


class TooManyRemovals(RuntimeError):
    pass


def sync_accounts(people: list[dict], client: HubClient, *, dry_run: bool = False,
                  max_share: float = 1.0, confirmed: bool = False, has_account=None,
                  trainers: list[str] = ()) -> AccountPlan:
    """Plan, check the share of removals, then (unless ``dry_run``) apply."""
    users, groups = client.users(), client.groups()
    plan = plan_accounts(people, users, groups, has_account, trainers)
    if users and len(plan.remove_users) > max_share * len(users) and not confirmed and not dry_run:
        raise TooManyRemovals(
            f"this would remove {len(plan.remove_users)} of {len(users)} hub users "
            f"(more than {max_share:.0%}, ISO20K_HUB_ROSTER_SYNC_SHARE); check the roster, then run "
            "again with --yes if that is right")
    if not dry_run:
        apply_plan(client, plan, set(groups))
    return plan
