#!/usr/bin/env bash
# The test command: installs what the tests need (the aiosmtpd SMTP server and a
# DKIM verifier, from PyPI, into target/test-venv), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/test-venv
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/requirements.txt "$stamp"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
  cp tests/requirements.txt "$stamp"
fi
export VERDICT_TEST_PYTHON="$PWD/$venv/bin/python"

cargo test --locked "$@"
