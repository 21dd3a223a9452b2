"""Planning the hub's accounts from the roster, and delivering the course without overwriting a
learner's work: the parts of the hub that need no running hub."""

from __future__ import annotations

import json
import os
import pwd

import pytest

from iso20k.hub.accounts import plan_accounts
from iso20k.hub.deliver import MANIFEST, deliver


def person(eid, dept="Desk", role="staff", active=True, tracks=("all-staff",)):
    return {"employee_id": eid, "department": dept, "role": role, "active": active,
            "tracks": {t: None for t in tracks}}


def test_plan_adds_active_people_removes_inactive_and_leaves_strangers_alone():
    people = [person("E001"), person("E002", dept="运维部", role="manager", tracks=("all-staff", "key-personnel")),
              person("E003", active=False)]
    hub_users = {"e003", "it-admin"}
    groups = {"dept-Desk": {"e003", "it-admin"}, "my-own-group": {"e001"}}
    plan = plan_accounts(people, hub_users, groups)
    assert plan.add_users == ["e001", "e002"]
    assert plan.remove_users == ["e003"]
    assert plan.group_adds["dept-Desk"] == ["e001"] and plan.group_adds["dept-运维部"] == ["e002"]
    assert plan.group_adds["track-key-personnel"] == ["e002"] and plan.group_adds["role-manager"] == ["e002"]
    assert plan.group_removes == {"dept-Desk": ["e003"]}  # it-admin was put there by hand: kept
    assert "my-own-group" not in plan.group_adds and "my-own-group" not in plan.group_removes


def test_people_without_an_os_account_are_named_not_added():
    plan = plan_accounts([person("E001"), person("E002")], set(), {}, has_account=lambda n: n == "e001")
    assert plan.add_users == ["e001"] and plan.no_account == ["e002"]
    assert "without an operating-system account" in plan.summary() and "e002" in plan.summary()


def test_trainers_join_the_graders_group_and_leave_it_when_no_longer_named():
    people = [person("T001"), person("T002"), person("E003")]
    groups = {"formgrade-iso20k": {"t002", "grader-iso20k"}}
    plan = plan_accounts(people, {"t001", "t002", "e003", "grader-iso20k"}, groups, trainers=["T001", "X999"])
    assert plan.group_adds["formgrade-iso20k"] == ["t001"]
    # T002 is no longer named: taken out; the grader account is not on the roster: left alone
    assert plan.group_removes["formgrade-iso20k"] == ["t002"]
    assert plan.unknown_trainers == ["X999"] and "X999" in plan.summary()


def test_delivery_adds_updates_and_never_overwrites_the_learners_work(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home" / "iso20k-course"
    (course / "all-staff").mkdir(parents=True)
    (course / "START_HERE.ipynb").write_text("v1 start")
    (course / "all-staff" / "01.ipynb").write_text("v1 lesson")
    first = deliver(course, home)
    assert sorted(first.copied) == ["START_HERE.ipynb", "all-staff/01.ipynb"]
    (home / "all-staff" / "01.ipynb").write_text("my notes")  # the learner edits a lesson
    (course / "START_HERE.ipynb").write_text("v2 start")
    (course / "all-staff" / "01.ipynb").write_text("v2 lesson")
    (course / "all-staff" / "02.ipynb").write_text("v2 new")
    second = deliver(course, home)
    assert second.updated == ["START_HERE.ipynb"] and second.copied == ["all-staff/02.ipynb"]
    assert second.kept == ["all-staff/01.ipynb"]
    assert (home / "all-staff" / "01.ipynb").read_text() == "my notes"
    assert (home / "all-staff" / "01.new-version.ipynb").read_text() == "v2 lesson"
    assert (home / "START_HERE.ipynb").read_text() == "v2 start"
    assert set(json.loads((home / MANIFEST).read_text())) == {"START_HERE.ipynb", "all-staff/01.ipynb", "all-staff/02.ipynb"}


def test_delivery_replaces_a_planted_link_instead_of_writing_through_it(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home"
    course.mkdir()
    (course / "START_HERE.ipynb").write_text("lesson")
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    home.mkdir()
    os.symlink(outside, home / "START_HERE.ipynb")
    deliver(course, home)
    assert outside.read_text() == "precious"
    assert not (home / "START_HERE.ipynb").is_symlink() and (home / "START_HERE.ipynb").read_text() == "lesson"


def test_jupyterlab_starts_in_the_learners_language_unless_they_chose_one(tmp_path):
    from iso20k.hub.deliver import set_lab_language

    assert set_lab_language(tmp_path, "zh")
    setting = next(tmp_path.rglob("plugin.jupyterlab-settings"))
    assert json.loads(setting.read_text()) == {"locale": "zh_CN"}
    setting.write_text('{"locale": "en"}')  # the learner switched JupyterLab to English
    assert not set_lab_language(tmp_path, "zh")
    assert json.loads(setting.read_text()) == {"locale": "en"}


def test_the_hub_names_a_missing_grader_account_or_a_course_folder_others_can_enter(tmp_path):
    import pytest

    from iso20k.hub.config import HubConfigError, grader_account
    from iso20k.settings import Settings

    course = tmp_path / "course"
    course.mkdir(mode=0o755)
    with pytest.raises(HubConfigError, match="no operating-system account.*useradd"):
        grader_account(Settings(hub_grader_user="no-such-grader-x", course_root=course))
    me = pwd.getpwuid(os.getuid()).pw_name
    with pytest.raises(HubConfigError, match=f"must belong to {me}.*chmod 0700"):
        grader_account(Settings(hub_grader_user=me, course_root=course))
    course.chmod(0o700)
    assert grader_account(Settings(hub_grader_user=me, course_root=course)).pw_uid == os.getuid()


def test_the_data_folder_belongs_to_the_records_account_and_only_the_dashboard_group_reads(tmp_path):
    import grp

    import pytest

    from iso20k.hub.config import HubConfigError, own_data_folder

    data = tmp_path / "data"
    data.mkdir(mode=0o777)
    store = data / "progress.sqlite"
    store.write_text("")
    store.chmod(0o666)
    (data / "run" / "dashboard-8866").mkdir(parents=True)  # the old runtime folder the grader's group could fill
    (data / "run" / "dashboard-8866" / "voila.py").write_text("open('/tmp/owned', 'w')")
    (data / "elsewhere").symlink_to("/etc/shadow")
    gid = grp.getgrnam("nogroup").gr_gid if os.geteuid() == 0 else os.getgid()
    shadow = os.stat("/etc/shadow")
    with pytest.raises(HubConfigError, match="elsewhere is a link"):
        own_data_folder(data, os.geteuid(), gid)
    after = os.stat("/etc/shadow")
    assert (after.st_uid, after.st_gid, after.st_mode) == (shadow.st_uid, shadow.st_gid, shadow.st_mode)
    (data / "elsewhere").unlink()
    own_data_folder(data, os.geteuid(), gid)
    assert (data.stat().st_gid, data.stat().st_mode & 0o7777) == (gid, 0o2750)
    assert (store.stat().st_uid, store.stat().st_gid, store.stat().st_mode & 0o777) == (os.geteuid(), gid, 0o640)
    assert not (data / "run").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="lays out the exchange as root does for the hub")
def test_root_lays_out_the_exchange_through_handles_while_the_grader_swaps_folders_for_links(tmp_path):
    """The grader account owns the exchange's course folder, so it can rename ``inbound`` and put a
    link to a file of root's in its place while the hub lays the folders out.  Whatever the timing,
    root never changes the link's target (red-team finding: chown/chmod by name followed links)."""
    import pwd
    import threading

    from iso20k.grading.config import COURSE_ID
    from iso20k.hub.config import HubConfigError, prepare_exchange

    grader = pwd.getpwnam("nobody")
    canary = tmp_path / "root-secret"
    canary.write_text("root's")
    canary.chmod(0o600)
    before = os.stat(canary)
    exchange = tmp_path / "exchange"
    prepare_exchange(exchange, grader)
    course = exchange / COURSE_ID
    stop = threading.Event()

    def swap():
        while not stop.is_set():
            for name in ("inbound", "feedback", "outbound"):
                try:
                    os.rename(course / name, course / f".{name}-moved")
                    os.symlink(canary, course / name)
                    os.unlink(course / name)
                    os.rename(course / f".{name}-moved", course / name)
                except OSError:
                    continue

    attacker = threading.Thread(target=swap, daemon=True)
    attacker.start()
    refused = 0
    try:
        for _ in range(300):
            try:
                prepare_exchange(exchange, grader)
            except (HubConfigError, OSError):  # refused: a folder was away or a link
                refused += 1
    finally:
        stop.set()
        attacker.join(10)
    after = os.stat(canary)
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
    assert canary.read_text() == "root's"
    assert refused > 0, "the swapping never met the layout: the test proved nothing"
