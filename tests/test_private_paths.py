"""Private runtime folders and trusted paths (issue 19, least privilege): nothing is loaded from,
or kept in, a folder another account can change."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from iso20k.private_paths import (UntrustedPathError, check_private_dir, fresh_owned_dir, make_private_dir,
                                  private_runtime_root, untrusted_reason)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changes owners: needs root")


def _nobody() -> int:
    return pwd.getpwnam("nobody").pw_uid


def test_a_folder_writable_by_its_group_or_everyone_is_not_trusted(tmp_path):
    safe = tmp_path / "safe"
    safe.mkdir(mode=0o755)
    assert untrusted_reason(safe / "not-yet" / "deeper") is None
    for mode, word in ((0o775, "group"), (0o777, "everyone")):
        shared = tmp_path / f"shared-{mode:o}"
        shared.mkdir()
        shared.chmod(mode)
        assert word in untrusted_reason(shared / "inner")
        with pytest.raises(UntrustedPathError, match="refusing to use"):
            make_private_dir(shared, "x-")  # a private folder is never made below it
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)  # like /tmp, but owned by this account, not root
    if os.geteuid() == 0:
        assert untrusted_reason(sticky) is None  # root's sticky folder: others cannot rename ours
    else:
        assert untrusted_reason(sticky)


@needs_root
def test_a_component_owned_by_another_account_or_a_link_they_made_is_not_trusted(tmp_path):
    tmp_path.chmod(0o755)
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, _nobody(), -1)
    assert "belongs to uid" in untrusted_reason(theirs / "config")
    link = tmp_path / "link"
    os.symlink(tmp_path, link)
    os.lchown(link, _nobody(), -1)
    assert "link owned by uid" in untrusted_reason(link / "x")
    root_link = tmp_path / "root-link"
    os.symlink(theirs, root_link)  # root's link to a folder another account owns: its target is checked
    assert "belongs to uid" in untrusted_reason(root_link / "x")


def test_a_private_folder_is_made_fresh_and_never_reused(tmp_path):
    parent = tmp_path / "run"
    first, second = make_private_dir(parent, "dash-"), make_private_dir(parent, "dash-")
    assert first != second and stat.S_IMODE(first.stat().st_mode) == 0o700
    assert check_private_dir(first) == first
    first.chmod(0o750)
    with pytest.raises(UntrustedPathError, match="mode 0700"):
        check_private_dir(first)
    link = parent / "dash-link"
    link.symlink_to(second)
    with pytest.raises(UntrustedPathError, match="not a real folder"):
        check_private_dir(link)


def test_the_runtime_root_must_be_this_accounts_own(tmp_path):
    root = private_runtime_root(tmp_path / "data", None)
    assert root == tmp_path / "data" / "run" and stat.S_IMODE(root.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    with pytest.raises(UntrustedPathError, match="not a link"):
        private_runtime_root(tmp_path / "data", tmp_path / "link")


@needs_root
def test_root_replaces_whatever_took_a_services_folder_name(tmp_path):
    tmp_path.chmod(0o755)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("root's")
    planted = tmp_path / "dashboard"
    planted.symlink_to(target)  # someone made the name a link to root's folder
    made = fresh_owned_dir(planted, _nobody(), _nobody(), 0o700)
    st = os.lstat(made)
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == _nobody() and stat.S_IMODE(st.st_mode) == 0o700
    assert (target / "keep").read_text() == "root's"  # the link was removed, never followed
    (made / "voila.py").write_text("planted")
    fresh_owned_dir(made, _nobody(), _nobody())
    assert list(made.iterdir()) == []


def test_the_hub_refuses_to_start_without_its_service_accounts(tmp_path):
    from iso20k.hub.config import HubConfigError, dashboard_account, records_account
    from iso20k.settings import Settings

    with pytest.raises(HubConfigError, match="ISO20K_HUB_RECORDS_USER=no-such-rec-x: there is no operating-system"):
        records_account(Settings(hub_records_user="no-such-rec-x"))
    with pytest.raises(HubConfigError, match="ISO20K_HUB_DASHBOARD_USER=no-such-dsh-x: .*useradd --system"):
        dashboard_account(Settings(hub_dashboard_user="no-such-dsh-x"))
    with pytest.raises(HubConfigError, match="is root"):
        records_account(Settings(hub_records_user="root"))


def test_the_permission_table_in_the_docs_is_the_one_the_tests_check():
    from iso20k.hub.permissions import markdown

    doc = (Path(__file__).resolve().parent.parent / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert markdown() in doc, "docs/deployment.md must carry iso20k.hub.permissions.markdown() verbatim"


@pytest.mark.skipif(os.geteuid() != 0, reason="iso20k hub checks run as root")
def test_iso20k_hub_names_the_missing_service_account_before_starting(tmp_path):
    import subprocess
    import sys

    course = tmp_path / "course"
    course.mkdir(mode=0o700)
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(tmp_path), "ISO20K_ENV_FILE": "",
           "ISO20K_HUB_PYTHON": sys.executable, "ISO20K_COURSE_ROOT": str(course),
           "ISO20K_EXCHANGE_DIR": str(tmp_path / "exchange"), "ISO20K_HUB_GRADER_USER": "root",
           "ISO20K_HUB_STATE_DIR": str(tmp_path / "state"), "ISO20K_DATA_DIR": str(tmp_path / "data"),
           "ISO20K_HUB_DASHBOARD_USER": "nobody", "ISO20K_HUB_RECORDS_USER": "no-such-records-account"}
    done = subprocess.run([str(Path(sys.executable).with_name("iso20k")), "hub"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "ISO20K_HUB_RECORDS_USER=no-such-records-account: there is no operating-system account" in done.stderr
    assert not (tmp_path / "state").exists()  # refused before anything was laid out


@pytest.mark.skipif(os.geteuid() != 0, reason="iso20k hub checks run as root")
def test_iso20k_hub_refuses_root_configuration_another_account_can_change(tmp_path):
    import subprocess
    import sys

    course = tmp_path / "course"
    course.mkdir(mode=0o700)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # e.g. a careless /srv/share
    (shared / "extra_config.py").write_text("c.JupyterHub.log_level = 'DEBUG'\n")
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(tmp_path), "ISO20K_ENV_FILE": "",
           "ISO20K_HUB_PYTHON": sys.executable, "ISO20K_COURSE_ROOT": str(course),
           "ISO20K_EXCHANGE_DIR": str(tmp_path / "exchange"), "ISO20K_HUB_GRADER_USER": "root",
           "ISO20K_HUB_STATE_DIR": str(tmp_path / "state"), "ISO20K_DATA_DIR": str(tmp_path / "data"),
           "ISO20K_HUB_DASHBOARD_USER": "nobody", "ISO20K_HUB_RECORDS_USER": "nobody",
           "ISO20K_HUB_EXTRA_CONFIG": str(shared / "extra_config.py")}
    done = subprocess.run([str(Path(sys.executable).with_name("iso20k")), "hub"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "refusing to start the hub as root: ISO20K_HUB_EXTRA_CONFIG" in done.stderr, done.stderr
    assert "writable by everyone" in done.stderr
