#!/usr/bin/env bash
# The company deployment on one server: install the course where every employee's server can run
# it, lay out the folders with the right owners and modes, then start the hub.  Run as root:
#
#   sudo ./scripts/deploy-hub.sh            # install or update, then start the hub
#   sudo ./scripts/deploy-hub.sh --no-start # install or update only
#
# Settings live in /etc/iso20k/iso20k.env (created on first run, root only); see docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "deploy-hub.sh: run as root (sudo): the hub starts servers as each employee" >&2; exit 1; }

prefix=/opt/iso20k
env_file=/etc/iso20k/iso20k.env

need=()
for pkg in python3-venv node-configurable-http-proxy bubblewrap fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian's Python, not one under /root: every employee's server runs this environment.
[ -x "$prefix/venv/bin/python" ] || /usr/bin/python3 -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install -q --upgrade pip
"$prefix/venv/bin/python" -m pip install -q --upgrade .
chmod -R a+rX "$prefix"

if [ ! -f "$env_file" ]; then
  install -d -m 0755 /etc/iso20k
  umask 077
  cat > "$env_file" <<SETTINGS
# Settings of the ISO/IEC 20000 course (iso20k settings lists them all). Root only: it may hold
# the database password.
ISO20K_HUB_PYTHON=$prefix/venv/bin/python
ISO20K_DATA_DIR=/var/lib/iso20k
ISO20K_HUB_STATE_DIR=/var/lib/iso20k-hub
ISO20K_COURSE_ROOT=/srv/iso20k/course
ISO20K_EXCHANGE_DIR=/srv/nbgrader/exchange
# The question banks with answers and explanations: read by the records service only.
ISO20K_KEYED_BANKS_DIR=/srv/iso20k/keyed-banks
# Trainers (employee ids): they reach the formgrader and the whole-company dashboard.
# ISO20K_TRAINERS=E0101,E0102
# A shared PostgreSQL store (recommended for more than a few dozen learners):
# ISO20K_DB_URL=postgresql+psycopg://training:PASSWORD@127.0.0.1/training_records
# ...and a role per service (made by 'iso20k store-roles', run below; docs/deployment.md):
# ISO20K_HUB_RECORDS_DB_URL=postgresql+psycopg://iso20k_records:PASSWORD2@127.0.0.1/training_records
# ISO20K_HUB_DASHBOARD_DB_URL=postgresql+psycopg://iso20k_dashboard:PASSWORD3@127.0.0.1/training_records
SETTINGS
  umask 022
  echo "Wrote $env_file (edit it, e.g. for PostgreSQL, then run this script again)."
fi
chmod 0600 "$env_file"

# nbgrader's shared grader account: the trainers' formgrader runs as it. Nobody signs in as it
# (no password); it owns the course folder with the keys, hidden tests and the gradebook.
# a setting from the env file, empty when the file does not name it (grep finding nothing is no error)
setting() { { grep -E "^$1=" "$env_file" || true; } | tail -n 1 | cut -d= -f2-; }
grader=$(setting ISO20K_HUB_GRADER_USER)
grader=${grader:-grader-iso20k}
id "$grader" >/dev/null 2>&1 || useradd --system --create-home --shell /bin/bash "$grader"
# The hub's services run as accounts of their own, never as root: the records service (it owns
# the data folder: the SQLite store and the trail's anchor), and the dashboard with the
# certificate verification page (they read the store and the course's results). No home, no login.
records=$(setting ISO20K_HUB_RECORDS_USER)
records=${records:-iso20k-records}
dashboard=$(setting ISO20K_HUB_DASHBOARD_USER)
dashboard=${dashboard:-iso20k-dashboard}
for account in "$records" "$dashboard"; do
  id "$account" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$account"
done
# the records service shows each learner their assessment results: it reads the course folder
# through the dashboard account's group, as the dashboard does
usermod -a -G "$dashboard" "$records"

course=$(setting ISO20K_COURSE_ROOT)
course=${course:-/srv/iso20k/course}
if [ ! -d "$course" ]; then
  install -d -m 0700 "$course"
  cp -r nbgrader_config.py source release forms exams "$course/"   # forms/: the graders' keyed item pools
  echo "Course folder laid out in $course (the grader account only)."
fi
chown -R "$grader:" "$course"
chgrp "$dashboard" "$course"   # the dashboard reads the gradebook and the results; learners nothing
chmod 0750 "$course"
# The rest (the hub's state folder 0711 with root-only files, the services' fresh runtime folders,
# the data folder given to the records account, the exchange) is laid out by 'iso20k hub' at every
# start (iso20k.hub.config.prepare_state); docs/deployment.md, "Accounts and files", has the table.

# The question banks with the keys: the package installed above carries learners' copies only
# (no answers, no explanations); the records service judges against these, which nobody else may
# read ('iso20k hub' gives them to the records service's account, 0700/0600, at every start).
keyed=$(setting ISO20K_KEYED_BANKS_DIR)
if [ -z "$keyed" ]; then
  keyed=/srv/iso20k/keyed-banks
  echo "ISO20K_KEYED_BANKS_DIR=$keyed" >> "$env_file"
fi
records_user=$records  # made above
install -d -m 0755 "$(dirname "$keyed")"
rm -rf "$keyed.new" && install -d -m 0700 "$keyed.new"
cp -r assessments/. "$keyed.new/"
chown -R "$records_user:" "$keyed.new"
chmod -R u=rwX,go= "$keyed.new"
rm -rf "$keyed" && mv "$keyed.new" "$keyed"

# PostgreSQL with a role per service: create the roles (passwords from the settings file, never
# on a command line) and grant each only its rights.
if grep -qE '^ISO20K_HUB_RECORDS_DB_URL=.' "$env_file"; then
  "$prefix/venv/bin/iso20k" store-roles
fi

echo "Installed. Next: $prefix/venv/bin/iso20k import-roster employees.xlsx, then, with the hub running,"
echo "$prefix/venv/bin/iso20k hub-sync"
if [ "${1:-}" != "--no-start" ]; then
  exec "$prefix/venv/bin/iso20k" hub
fi
