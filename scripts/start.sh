#!/usr/bin/env bash
# Command 1: create .venv, install the course, fill an empty store with the demo company, then
# serve the management dashboard (Voila, read-only) and open the course in JupyterLab as the
# demo learner.  Progress goes to the embedded SQLite store (~/.local/share/iso20k by default).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-env.sh "" bubblewrap  # bubblewrap: the grading sandbox
.venv/bin/iso20k demo --if-empty
# The dashboard's log is readable by this user only (it names employees and servers).
logdir="${XDG_STATE_HOME:-$HOME/.local/state}/iso20k"
mkdir -p "$logdir" && chmod 700 "$logdir"
log="$logdir/dashboard.log"
(umask 077; : >"$log"; chmod 600 "$log")
.venv/bin/iso20k dashboard >>"$log" 2>&1 &
dashboard=$!
trap 'kill "$dashboard" 2>/dev/null || true' EXIT
sleep 1
head -n 1 "$log" || true
echo "(dashboard log: $log)"
.venv/bin/iso20k lab "$@"
