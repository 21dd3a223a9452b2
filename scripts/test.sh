#!/usr/bin/env bash
# Command 2: install everything the tests need (Debian packages included), then run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-env.sh test chromium fonts-noto-cjk bubblewrap git postgresql
exec .venv/bin/python -m pytest "$@"
