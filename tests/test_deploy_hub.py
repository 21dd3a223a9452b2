"""scripts/deploy-hub.sh for real, in a private mount namespace (so the machine's /etc, /opt/iso20k
and /srv are not touched and other tests' hubs are not disturbed): it creates the service
accounts, installs into /opt/iso20k, lays out the course folder; then the hub's own layout
(``prepare_state``, what ``iso20k hub`` does at start) runs from the installed product, and
every file is checked against the permission table (:mod:`iso20k.hub.permissions`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                 reason="mount namespaces and useradd: needs root")]

INSIDE = r"""
set -euo pipefail
w="$1"; repo="$2"
mount --make-rprivate /
cp -a /etc/. "$w/etc/"
mount --bind "$w/etc" /etc
mount --bind "$w/opt-iso20k" /opt/iso20k
mount --bind "$w/srv" /srv
install -d -m 0755 /etc/iso20k
cat > /etc/iso20k/iso20k.env <<SETTINGS
ISO20K_HUB_PYTHON=/opt/iso20k/venv/bin/python
ISO20K_DATA_DIR=$w/var/iso20k
ISO20K_HUB_STATE_DIR=$w/var/iso20k-hub
ISO20K_COURSE_ROOT=/srv/iso20k/course
ISO20K_EXCHANGE_DIR=/srv/nbgrader/exchange
SETTINGS
cd "$repo"
bash -x ./scripts/deploy-hub.sh --no-start > "$w/deploy.log" 2>&1
cd /  # the installed product, not the checkout's sources in the working folder
ISO20K_ENV_FILE=/etc/iso20k/iso20k.env /opt/iso20k/venv/bin/python - "$w" <<'PY'
import json, os, pwd, grp, stat, sys
from pathlib import Path
from iso20k.hub.config import prepare_state
from iso20k.hub.permissions import rule_for
from iso20k.settings import read_settings
s = read_settings()
prepare_state(s)
roots = {"state": str(s.hub_state_dir), "data": str(s.data_dir), "course": str(s.course_root), "exchange": str(s.exchange_dir), "keyed": str(s.keyed_banks_dir)}
acc = {"root": pwd.getpwuid(0), "records": pwd.getpwnam(s.hub_records_user),
       "dashboard": pwd.getpwnam(s.hub_dashboard_user), "grader": pwd.getpwnam(s.hub_grader_user)}
problems = []
paths = [Path("/etc/iso20k/iso20k.env")]
for top in roots.values():
    paths.append(Path(top))
    for base, dirs, files in os.walk(top):
        paths += [Path(base) / n for n in dirs + files]
for p in paths:
    st, rule = os.lstat(p), rule_for(str(p), roots)
    if rule is None:
        problems.append(f"{p}: not in the table"); continue
    if rule.owner:
        u, g = rule.owner.split(":")
        if u != "*" and st.st_uid != acc[u].pw_uid: problems.append(f"{p}: owner {st.st_uid} not {u}")
        if g != "*" and st.st_gid != acc[g].pw_gid: problems.append(f"{p}: group {st.st_gid} not {g}")
    if rule.mode is not None and stat.S_IMODE(st.st_mode) != rule.mode:
        problems.append(f"{p}: mode {stat.S_IMODE(st.st_mode):04o} not {rule.mode:04o}")
records = acc["records"]
print(json.dumps({"problems": problems,
                  "records_in_dashboard_group": records.pw_name in grp.getgrgid(acc["dashboard"].pw_gid).gr_mem,
                  "shells": [acc["records"].pw_shell, acc["dashboard"].pw_shell],
                  "venv_readable": oct(os.stat("/opt/iso20k/venv").st_mode & 0o005)}))
PY
"""


def test_deploy_hub_creates_the_accounts_and_lays_out_every_folder_as_the_table_says():
    work = Path(tempfile.mkdtemp(prefix="iso20k-deploy-"))
    made_mountpoint = not Path("/opt/iso20k").exists()
    try:
        work.chmod(0o755)
        for sub in ("etc", "opt-iso20k", "srv", "var"):
            (work / sub).mkdir(mode=0o755)
        from wheel_build import LEFT_OUT

        checkout = work / "checkout"  # pip builds in the folder it installs from: a copy, not the repository
        shutil.copytree(REPO, checkout, ignore=LEFT_OUT)
        Path("/opt/iso20k").mkdir(exist_ok=True)
        done = subprocess.run(["unshare", "--mount", "bash", "-c", INSIDE, "deploy", str(work), str(checkout)],
                              capture_output=True, text=True, timeout=1800)
        log = (work / "deploy.log").read_text() if (work / "deploy.log").exists() else ""
        log = "\n".join(line for line in log.splitlines() if "is neither a file nor a directory" not in line)
        assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}\n{log[-3000:]}"
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["problems"] == [], result["problems"]
        assert result["records_in_dashboard_group"]
        assert result["shells"] == ["/usr/sbin/nologin", "/usr/sbin/nologin"]
        assert result["venv_readable"] == oct(0o005)
    finally:
        if made_mountpoint:
            Path("/opt/iso20k").rmdir()
        shutil.rmtree(work, ignore_errors=True)
