"""Who may see what on the dashboard, how a page's kernel learns who is looking, where secrets
go, day boundaries in the configured time zone, and the histogram's pass/fail colouring."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from iso20k.dashboard.access import KEY_ENV, KERNEL_ENV, identity_from_environment, read_stamp, stamp
from iso20k.dashboard.charts import score_histograms
from iso20k.results.views import Filters, build_view
from iso20k.dashboard.serve import DashboardSetupError, dashboard_server
from iso20k.results import Person, Snapshot, Submission, day_in
from iso20k.results import statuses
from iso20k.dashboard.viewer import Identity, NotAllowed, parse_manager_departments, viewer_for
from iso20k.settings import Settings

ROSTER = {"M1": ("manager", "Finance"), "M2": ("manager", "Service Desk"), "S1": ("staff", "Finance"),
          "R1": ("management-representative", "Quality"), "X1": ("executive", "Board")}


def test_who_sees_what():
    assert viewer_for(Identity("M1"), ROSTER).departments == frozenset({"Finance"})
    assert viewer_for(Identity("R1"), ROSTER).whole_company
    assert viewer_for(Identity("X1"), ROSTER).whole_company
    assert viewer_for(Identity("T9", groups=("formgrade-iso20k",)), ROSTER,
                      trainer_groups=["formgrade-iso20k"]).whole_company
    assert viewer_for(Identity("T8"), ROSTER, trainers=["T8"]).whole_company
    assert viewer_for(Identity("root", operator=True), ROSTER).whole_company
    extra = parse_manager_departments("M1=Operations|Network; M2=Finance")
    assert viewer_for(Identity("M1"), ROSTER, manager_departments=extra).departments == {
        "Finance", "Operations", "Network"}
    for refused in (Identity("S1"), Identity("nobody"), None, Identity("M1-forged", groups=("formgrade-x",))):
        with pytest.raises(NotAllowed):
            viewer_for(refused, ROSTER, trainer_groups=["formgrade-iso20k"])
    with pytest.raises(ValueError, match="employee_id=Department"):
        parse_manager_departments("M1 Finance")


def test_the_signed_stamp_cannot_be_forged_altered_or_replayed_late():
    key = b"k" * 32
    good = stamp(Identity("M1", ("g",)), key)
    assert read_stamp(good, key) == Identity("M1", ("g",), False)
    body, mac = good.rsplit(".", 1)
    forged_body = stamp(Identity("R1"), b"other key").rsplit(".", 1)[0]
    for bad in (None, "", "M1", f"{forged_body}.{mac}", f"{body}.{'0' * 64}", stamp(Identity("R1"), b"x")):
        assert read_stamp(bad, key) is None
    old = stamp(Identity("M1"), key, now=1_000_000)
    assert read_stamp(old, key, now=1_000_000 + 60) is not None
    assert read_stamp(old, key, now=1_000_000 + 3600) is None
    env = {KEY_ENV: key.decode(), KERNEL_ENV: good}
    assert identity_from_environment(env).name == "M1"
    assert identity_from_environment({KERNEL_ENV: good}) is None  # no key: nothing is believed


def _snapshot() -> Snapshot:
    today = date(2026, 11, 30)
    people = [Person("A1", "a", "A", "staff", {"all-staff": None}), Person("A2", "b", "A", "manager", {"all-staff": None}),
              Person("B1", "c", "B", "staff", {"all-staff": None})]
    snap = Snapshot(people=people, modules={"all-staff": 1, "key-personnel": 1, "document-writing": 1},
                    pass_marks={"all-staff": 0.65, "key-personnel": 0.7, "document-writing": 0.7})
    snap.submissions = {("A1", "all-staff"): Submission("all-staff", today, 26, 40, False),
                        ("A2", "all-staff"): Submission("all-staff", today, 25, 40, False),
                        ("B1", "all-staff"): Submission("all-staff", today, 39, 40, False)}
    snap.first_activity = {("B1", "all-staff"): today}
    snap.completions = {("B1", "all-staff"): [today]}
    snap.clause_results = {("A", "8.1", "quiz"): [10, 3], ("B", "9.2", "quiz"): [10, 9]}
    return snap


def test_a_scoped_snapshot_holds_only_its_departments_rows():
    snap = _snapshot()
    mine = snap.scoped(frozenset({"A"}))
    assert {p.department for p in mine.people} == {"A"}
    keys = [*mine.submissions, *mine.first_activity, *mine.completions]
    assert keys and all(k[0].startswith("A") for k in keys)
    assert set(mine.clause_results) == {("A", "8.1", "quiz")}
    assert snap.scoped(None) is snap and snap.scoped(frozenset()).people == []
    view = build_view(mine, statuses(mine, date(2026, 11, 30)),
                      Filters(as_of=date(2026, 11, 30), department="B"))  # a forged filter value
    assert view.people == [] and view.rows == []


def test_the_bar_holding_the_pass_mark_is_split_not_drawn_as_passed():
    snap = _snapshot()
    view = build_view(snap, statuses(snap, date(2026, 11, 30)), Filters(as_of=date(2026, 11, 30), track="all-staff"))
    assert sorted(view.scores["all-staff"]) == [62.5, 65.0, 97.5]
    svg = score_histograms(view, snap.pass_marks, "en")
    assert 'data-bin="60" data-part="failed" data-count="1"' in svg  # 62.5 %: below 65 %
    assert 'data-bin="60" data-part="passed" data-count="1"' in svg  # 65 %: passed
    assert 'data-bin="90" data-part="passed" data-count="1"' in svg
    assert 'data-bin="90" data-part="failed"' not in svg


def test_days_follow_the_configured_time_zone():
    china = ZoneInfo("Asia/Shanghai")
    # 00:30 on 1 December in China is 16:30 on 30 November in UTC.
    naive_utc = datetime(2026, 11, 30, 16, 30)  # how SQLite and nbgrader hand it back
    aware = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)  # how PostgreSQL does
    assert day_in(naive_utc, china) == day_in(aware, china) == date(2026, 12, 1)
    assert day_in("2026-11-30 16:30:00.000000 UTC", china) == date(2026, 12, 1)
    assert day_in(naive_utc, timezone.utc) == date(2026, 11, 30)
    assert Settings(time_zone="Asia/Shanghai").zone() == china
    with pytest.raises(ValueError, match="IANA"):
        Settings(time_zone="Mars/Olympus")


def test_no_token_on_the_command_line_or_in_the_kernels_environment(tmp_path):
    token = "zq-secret-Token-4711"
    settings = Settings(data_dir=tmp_path, dashboard_ip="0.0.0.0", dashboard_token=token)
    server = dashboard_server(settings, port=18_866)
    assert token not in " ".join(server.argv) and token not in server.url
    assert token not in "".join(server.env.values())
    assert server.config_file.read_text().count(token) == 1
    assert stat.S_IMODE(server.config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.config_file.parent.stat().st_mode) == 0o700
    assert server.env[KEY_ENV] and server.env[KEY_ENV] != dashboard_server(settings, port=18_866).env[KEY_ENV]
    generated = dashboard_server(Settings(data_dir=tmp_path, dashboard_ip="10.1.2.3"), port=18_867)
    assert len(generated.token) >= 24 and generated.token not in " ".join(generated.argv)
    local = dashboard_server(Settings(data_dir=tmp_path), port=18_868)
    assert local.token == ""  # the single-user default on 127.0.0.1
    with pytest.raises(DashboardSetupError, match="ViewerStamp"):
        dashboard_server(Settings(data_dir=tmp_path, dashboard_identity_provider=
                                  "jupyter_server.auth.identity.PasswordIdentityProvider"), port=18_869)


def test_commands_print_no_password_or_token(tmp_path):
    iso20k = str(Path(sys.executable).with_name("iso20k"))
    secret, password = "zq-secret-Token-4712", "pw-Secret-9931"
    env = {**os.environ, "ISO20K_DASHBOARD_TOKEN": secret, "ISO20K_DATA_DIR": str(tmp_path),
           "ISO20K_DB_URL": f"postgresql+psycopg://trainer:{password}@db.example/iso20k"}
    for command in (["settings"], ["whoami"]):
        out = subprocess.run([iso20k, *command], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert secret not in out.stdout + out.stderr and password not in out.stdout + out.stderr
        assert "***" in out.stdout or "not shown" in out.stdout


def test_a_kept_reading_is_used_only_when_private_and_for_the_same_sources(tmp_path):
    from iso20k.dashboard import cache

    path = cache.cache_file(tmp_path)
    cache.save(path, ("key",), {"reader": 1}, {"snap": 2})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cache.load(path, ("key",)) == ({"reader": 1}, {"snap": 2})
    assert cache.load(path, ("other key",)) is None
    os.chmod(path, 0o620)  # someone else could have written it: not used
    assert cache.load(path, ("key",)) is None
    os.chmod(path, 0o600)
    os.chmod(path.parent, 0o777)
    assert cache.load(path, ("key",)) is None
    os.chmod(path.parent, 0o700)
    path.write_bytes(b"not a pickle")
    assert cache.load(path, ("key",)) is None


def test_a_kernel_is_served_once_and_only_its_viewer_may_use_it():
    from types import SimpleNamespace

    from tornado.web import HTTPError

    from iso20k.dashboard.kernel_owners import KernelOwners, allowed, query_proof
    import iso20k.dashboard.kernel_owners as owners_module

    owners = KernelOwners()
    owners.bind("k1", "e0042")
    owners.bind("k1", "e0042")  # the same page asking again
    with pytest.raises(HTTPError):
        owners.bind("k1", "e0043")  # never handed to a second viewer
    with pytest.raises(HTTPError):
        owners.bind("k2", "")  # nor to nobody
    assert owners.owner("k1") == "e0042" and owners.owner("k2") is None
    hub, operator = SimpleNamespace(one_operator=False), SimpleNamespace(one_operator=True)
    saved, owners_module.OWNERS = owners_module.OWNERS, owners
    try:
        assert allowed("k1", SimpleNamespace(username="e0042"), hub)
        assert not allowed("k1", SimpleNamespace(username="e0043"), hub)
        assert not allowed("k2", SimpleNamespace(username="e0042"), hub)  # served to nobody: nobody
        assert not allowed("k2", SimpleNamespace(username="e0042"), operator)
        assert allowed("k1", SimpleNamespace(username="anyone"), operator)  # one operator
    finally:
        owners_module.OWNERS = saved
    assert query_proof(b"key", "k1") != query_proof(b"key", "k2") != query_proof(b"other", "k2")


def test_connection_files_are_named_without_the_kernel_id(tmp_path):
    from iso20k.dashboard.kernel_owners import PrivateConnectionFiles

    manager = PrivateConnectionFiles(connection_dir=str(tmp_path))
    km, _, kernel_id = manager.pre_start_kernel("python3", {})
    name = Path(km.connection_file).name
    assert kernel_id not in km.connection_file and name.startswith("kernel-") and len(name) == len("kernel-.json") + 32
    assert Path(km.connection_file).parent == tmp_path


def test_kernels_keys_are_kept_only_in_a_private_folder_never_through_a_link(tmp_path):
    import json

    from iso20k.dashboard.serve import kernels_dir

    server = dashboard_server(Settings(data_dir=tmp_path / "data"))
    kernels = Path(json.loads(server.config_file.read_text())["Voila"]["connection_dir_root"])
    assert kernels.parent == server.config_file.parent and stat.S_IMODE(kernels.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o777)
    planted = tmp_path / "private"
    planted.mkdir(mode=0o700)
    (planted / "kernels").symlink_to(elsewhere)
    with pytest.raises(DashboardSetupError):
        kernels_dir(planted)
    (planted / "kernels").unlink()
    (planted / "kernels").mkdir(mode=0o755)  # an existing folder is never taken either
    with pytest.raises(DashboardSetupError):
        kernels_dir(planted)
