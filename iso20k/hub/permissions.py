"""Who may read and write each file, folder and database of a hub deployment: the one table
docs/deployment.md shows (``iso20k.hub.permissions.markdown()`` is pasted there and a test keeps
them the same) and ``tests/test_hub_permissions.py`` checks against a real hub.

Accounts are named by their role: ``root``; ``records`` (``ISO20K_HUB_RECORDS_USER``, the records
service and trail writer); ``dashboard`` (``ISO20K_HUB_DASHBOARD_USER``, the dashboard and the
verification page); ``grader`` (``ISO20K_HUB_GRADER_USER``, the trainers' formgrader); a group is
the primary group of the account of the same name.  Paths start with ``{state}``
(``ISO20K_HUB_STATE_DIR``), ``{data}`` (``ISO20K_DATA_DIR``), ``{course}`` (``ISO20K_COURSE_ROOT``)
``{exchange}`` (``ISO20K_EXCHANGE_DIR``) or ``{keyed}`` (``ISO20K_KEYED_BANKS_DIR``); a ``*``
matches within one name, ``/**`` anything below."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    path: str
    what: str
    owner: str | None  # "account:group"; None: as the program that makes it leaves it
    mode: int | None  # None: as the program that makes it leaves it (the row's folder guards it)
    reads: str
    writes: str
    learners: str  # "no", "read" (anyone), "by name" (anyone who knows the file's name), "its learner only"

    @property
    def learner_may_read(self) -> bool:
        return self.learners != "no"


RULES: tuple[Rule, ...] = (
    Rule("{state}", "hub state folder", "root:root", 0o711, "root", "root", "no (may pass through to learner-config)"),
    Rule("{state}/jupyterhub.sqlite", "the hub's own database (users, groups, tokens)", "root:root", 0o600, "root", "root", "no"),
    Rule("{state}/jupyterhub.sqlite-*", "its journal", "root:root", 0o600, "root", "root", "no"),
    Rule("{state}/jupyterhub_cookie_secret", "cookie secret", "root:root", 0o600, "root", "root", "no"),
    Rule("{state}/*.token", "service tokens (proxy, roster-sync)", "root:root", 0o600, "root", "root", "no"),
    Rule("{state}/*.pid", "the hub's and the proxy's process ids", "root:root", 0o600, "root", "root", "no"),
    Rule("{state}/learner-config", "learner config (Jupyter config every learner server reads)", "root:root", 0o755, "everyone", "root", "read"),
    Rule("{state}/learner-config/**", "its files and folders", "root:root", None, "everyone", "root", "read"),
    Rule("{state}/run", "runtime folders' parent", "root:root", 0o711, "root", "root", "no"),
    Rule("{state}/run/records", "records service's runtime folder (made fresh at every hub start)", "records:records", 0o700, "records", "records", "no"),
    Rule("{state}/run/records/**", "its files", "records:*", None, "records", "records", "no"),
    Rule("{state}/run/reminders", "reminders service's runtime folder (made fresh at every hub start)", "records:records", 0o700, "records", "records", "no"),
    Rule("{state}/run/dashboard", "dashboard's runtime folder (made fresh at every hub start): Voila's config, the kept reading", "dashboard:dashboard", 0o700, "dashboard", "dashboard", "no"),
    Rule("{state}/run/dashboard/**", "its files (a fresh `dashboard-<port>-*` folder per service start)", "dashboard:*", None, "dashboard", "dashboard", "no"),
    Rule("{data}", "data folder", "records:dashboard", 0o2750, "records, dashboard group", "records", "no"),
    Rule("{data}/progress.sqlite*", "progress store (SQLite; with PostgreSQL: database roles)", "records:dashboard", 0o640, "records, dashboard group", "records", "no"),
    Rule("{data}/audit-trail-head.json", "trail anchor", "records:dashboard", 0o640, "records, dashboard group", "records", "no"),
    Rule("{data}/**", "anything else the records service keeps", "records:dashboard", None, "records, dashboard group", "records", "no"),
    Rule("{course}", "course folder (exams with keys, keyed item pools in `forms/`, hidden tests, submissions)", "grader:dashboard", 0o750, "grader, dashboard group (dashboard, records)", "grader", "no"),
    Rule("{course}/gradebook.db", "gradebook (nbgrader; or PostgreSQL)", "grader:*", None, "grader, dashboard group", "grader", "no"),
    Rule("{course}/**", "everything in it", "grader:*", None, "grader, dashboard group", "grader", "no"),
    Rule("{exchange}", "exchange root", "*:*", 0o1777, "everyone", "everyone (sticky: own entries only)", "read (lists it: nbgrader's layout)"),
    Rule("{exchange}/iso20k", "the course's exchange folder", "grader:grader", 0o755, "everyone", "grader", "read (lists it)"),
    Rule("{exchange}/iso20k/outbound", "outbound: released assignments", "grader:grader", 0o755, "everyone", "grader", "read"),
    Rule("{exchange}/iso20k/outbound/**", "released files", "grader:*", None, "everyone", "grader", "read"),
    Rule("{exchange}/iso20k/inbound", "inbound: hand-ins", "grader:grader", 0o3733, "grader (lists)", "everyone (hand in; sticky: own entries only)", "no"),
    Rule("{exchange}/iso20k/inbound/**", "a hand-in: folder 0750, files 0640, the grader's group (setgid inbound); collect takes it only if its learner owns all of it", None, None, "its learner, grader (group)", "its learner", "its learner only"),
    Rule("{exchange}/iso20k/feedback", "feedback", "grader:grader", 0o711, "grader (lists)", "grader", "no"),
    Rule("{exchange}/iso20k/feedback/**", "one learner's feedback, named by a hash of the hand-in: 0600 plus an ACL entry for that learner", "grader:*", None, "grader; its learner (ACL)", "grader", "its learner only"),
    Rule("{exchange}/iso20k/quarantine", "hand-ins collect refused (not made by the learner they name, or holding links)", "grader:grader", 0o700, "grader", "grader", "no"),
    Rule("{exchange}/iso20k/quarantine/**", "a refused hand-in as it was handed in (its maker's files), and its record", None, None, "grader", "grader", "no"),
    Rule("{keyed}", "question banks with the keys and explanations (ISO20K_KEYED_BANKS_DIR)", "records:records", 0o700, "records", "root (deploy-hub.sh)", "no"),
    Rule("{keyed}/**", "their files", "records:records", None, "records", "root (deploy-hub.sh)", "no"),
    Rule("/etc/iso20k/iso20k.env", "settings file (may hold the database password)", "root:root", 0o600, "root", "root", "no"),
)


def _mode(mode: int | None) -> str:
    return "—" if mode is None else f"{mode:04o}"


def markdown() -> str:
    """The table as docs/deployment.md shows it."""
    lines = ["| path | what | owner:group | mode | reads | writes | learners |",
             "|---|---|---|---|---|---|---|"]
    for r in RULES:
        lines.append(f"| `{r.path}` | {r.what} | {r.owner or '—'} | {_mode(r.mode)} | {r.reads} | {r.writes} | "
                     f"{r.learners} |")
    return "\n".join(lines)


def expand(pattern: str, roots: dict[str, str]) -> str:
    return pattern.format(**roots)


def rule_for(path: str, roots: dict[str, str]) -> Rule | None:
    """The first rule whose path (``**`` anything below, ``*`` within one name) matches ``path``."""
    for rule in RULES:
        pattern = expand(rule.path, roots)
        if pattern.endswith("/**"):
            if path.startswith(pattern[:-2]):
                return rule
        elif "*" in pattern:
            if fnmatch.fnmatchcase(path, pattern) and "/" not in path[len(pattern.split("*")[0]):]:
                return rule
        elif path == pattern:
            return rule
    return None
