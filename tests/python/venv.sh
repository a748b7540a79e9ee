#!/usr/bin/env bash
# Creates (or reuses) the virtual environment for the Python API suites under target/pyenv and
# installs the pinned tools from tests/python/requirements.txt. Skips the install when the
# environment already matches the requirements (a stamp file holds their checksum).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/pyenv
REQ=tests/python/requirements.txt
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
echo "$want" > "$STAMP"
