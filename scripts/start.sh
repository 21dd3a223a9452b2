#!/usr/bin/env bash
# Command 1: create .venv, install the course, and open it in JupyterLab as the demo learner.
# Progress goes to the embedded SQLite store (~/.local/share/iso20k/progress.sqlite by default).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-env.sh ""
exec .venv/bin/iso20k lab "$@"
