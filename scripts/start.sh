#!/usr/bin/env bash
# Command 1: create .venv, install the course, fill an empty store with the demo company (its
# assessments released into nbgrader's exchange), then start one server for each of three users:
#   manager  - the management dashboard (Voila, read-only), ISO20K_DASHBOARD_PORT (8866), and the
#              certificate verification page, ISO20K_VERIFY_PORT (8867);
#   trainer  - JupyterLab on the course folder with nbgrader's formgrader, ISO20K_TRAINER_LAB_PORT (8889);
#   learner  - JupyterLab in the learner's own folder (a delivered copy of the course, no keys),
#              ISO20K_LAB_PORT (8888), as demo-learner (or --learner ID).
# Progress goes to the embedded SQLite store (~/.local/share/iso20k by default).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-env.sh "" bubblewrap  # bubblewrap: the grading sandbox
.venv/bin/iso20k demo --if-empty
# The servers' logs are readable by this user only (they name employees and servers).
logdir="${XDG_STATE_HOME:-$HOME/.local/state}/iso20k"
mkdir -p "$logdir" && chmod 700 "$logdir"
dashboard_log="$logdir/dashboard.log"
trainer_log="$logdir/trainer-lab.log"
verify_log="$logdir/verify.log"
(umask 077; for f in "$dashboard_log" "$trainer_log" "$verify_log"; do : >"$f"; chmod 600 "$f"; done)
.venv/bin/iso20k dashboard >>"$dashboard_log" 2>&1 &
dashboard=$!
.venv/bin/iso20k lab --trainer --no-browser >>"$trainer_log" 2>&1 &
trainer=$!
.venv/bin/iso20k verify-server >>"$verify_log" 2>&1 &
verify=$!
trap 'kill "$dashboard" "$trainer" "$verify" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do  # each server says where it is as soon as it starts
  [ -s "$dashboard_log" ] && [ -s "$trainer_log" ] && [ -s "$verify_log" ] && break
  sleep 0.5
done
echo
echo "Three users on this machine:"
echo "  Manager: $(head -n 1 "$dashboard_log" || true)"
echo "           $(head -n 1 "$verify_log" || true)"
echo "           (logs: $dashboard_log, $verify_log)"
echo "  Trainer: $(head -n 1 "$trainer_log" || true)"
echo "           (log: $trainer_log)"
echo "  Learner: JupyterLab opens in your browser (address below); lessons, then the exams under"
echo "           Nbgrader > Assignment List."
echo
.venv/bin/iso20k lab "$@"
