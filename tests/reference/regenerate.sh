#!/usr/bin/env bash
# Regenerate the reference fixtures and expected outputs; stdout goes to
# tests/reference/run-output.txt as well.  Run from anywhere.
#   SCORINGUTILS=/work/shared/data/scoringutils bash tests/reference/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
su="${SCORINGUTILS:-/work/shared/data/scoringutils}"
cd "$repo"
{
  echo "\$ python3 tests/reference/make_ledger.py"
  python3 tests/reference/make_ledger.py
  echo
  echo "\$ python3 tests/reference/reference.py tests/fixtures/reference-ledger tests/reference/expected.json"
  python3 tests/reference/reference.py tests/fixtures/reference-ledger tests/reference/expected.json
  echo
  if [ -d "$su/ledger" ]; then
    rm -rf tests/fixtures/scoringutils-ledger
    cp -a "$su/ledger" tests/fixtures/scoringutils-ledger
  fi
  echo "\$ python3 tests/reference/reference.py tests/fixtures/scoringutils-ledger tests/reference/expected-scoringutils.json"
  python3 tests/reference/reference.py tests/fixtures/scoringutils-ledger tests/reference/expected-scoringutils.json
  echo
  if [ -f "$su/README.md" ]; then
    echo "\$ python3 tests/reference/check_scoringutils.py \$SCORINGUTILS/README.md tests/reference/expected-scoringutils.json"
    python3 tests/reference/check_scoringutils.py "$su/README.md" tests/reference/expected-scoringutils.json
  fi
} 2>&1 | tee tests/reference/run-output.txt
