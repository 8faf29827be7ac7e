#!/usr/bin/env bash
# Prints the line and branch coverage of src/ measured by the tests that ran in a build made
# with -DWSC_COVERAGE=ON (the dev preset), with gcovr.  Usage: bash scripts/coverage.sh [BUILD]
# (default build/dev).  Reset the counters first with: find BUILD -name '*.gcda' -delete.
# With WSC_COVERAGE_MIN="LINES BRANCHES" (percent; scripts/test.sh sets "95 85"), fails when
# either figure is below its floor.
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
if [ -n "${WSC_COVERAGE_MIN:-}" ]; then
    read -r min_lines min_branches <<<"$WSC_COVERAGE_MIN"
    lines=$(awk '/^lines:/ {sub("%", "", $2); print $2}' "$build/coverage.log")
    branches=$(awk '/^branches:/ {sub("%", "", $2); print $2}' "$build/coverage.log")
    if awk -v l="$lines" -v b="$branches" -v ml="$min_lines" -v mb="$min_branches" \
        'BEGIN { exit !(l >= ml && b >= mb) }'; then
        echo "coverage.sh: lines $lines% >= $min_lines%, branches $branches% >= $min_branches%: ok"
    else
        echo "coverage.sh: below the floor: lines $lines% (min $min_lines%), branches $branches% (min $min_branches%)"
        exit 1
    fi
fi
