#!/usr/bin/env bash
# Prints the line and branch coverage of src/ measured by the tests that ran in a build made
# with -DWSC_COVERAGE=ON (the dev preset), with gcovr.  Usage: bash scripts/coverage.sh [BUILD]
# (default build/dev).  Reset the counters first with: find BUILD -name '*.gcda' -delete.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
command -v gcovr >/dev/null || { echo "coverage.sh: gcovr is missing (bash scripts/install-deps.sh)"; exit 1; }
# Branches of assert() and of the compiler's own (exception-free C) bookkeeping are not ours.
# --gcov-ignore-parse-errors: a counter a crashed or killed test left half-written must not hide
# the summary of everything else.
gcovr --root . --object-directory "$build" --filter 'src/' --exclude-unreachable-branches \
      --exclude-throw-branches --gcov-ignore-parse-errors --print-summary \
      --txt "$build/coverage.txt" "$build" >"$build/coverage.log" 2>&1 ||
    { tail -5 "$build/coverage.log"; exit 1; }
grep -E '^(lines|branches|functions):' "$build/coverage.log"
echo "coverage.sh: per-file table in $build/coverage.txt"
