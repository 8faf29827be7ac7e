#!/usr/bin/env bash
# Checks that exactly the expected tests skipped in a ctest run: a backend that wrongly answers
# WSC_ERR_UNSUPPORTED, or a service that did not start, must not turn into a silent pass.
# Usage: bash scripts/check-skips.sh JUNIT_XML [EXPECTED]
#   JUNIT_XML  ctest's --output-junit file (it keeps every test's output);
#   EXPECTED   the list of skips allowed (default tests/expected-skips.txt): one per line,
#              "CTEST_NAME" (the whole test not run: exit 77) or "CTEST_NAME CMOCKA_TEST";
#              '#' starts a comment.
# Fails on a skip not in the list, and on a listed skip that did not happen (a stale list).
set -euo pipefail
xml=$1
expected=${2:-$(dirname "$0")/../tests/expected-skips.txt}
[ -f "$xml" ] || { echo "check-skips: no $xml"; exit 1; }
got=$(python3 - "$xml" <<'PY'
import re, sys, xml.etree.ElementTree as ET
out = set()
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    name = tc.get("name")
    if tc.get("status") in ("notrun", "disabled"):
        out.add(name)  # the whole test; its own skips are part of that
        continue
    text = "".join(e.text or "" for e in tc.iter("system-out"))
    for m in re.finditer(r"^\[  SKIPPED \] (test_\w+)$", text, re.M):
        out.add(f"{name} {m.group(1)}")
print("\n".join(sorted(out)))
PY
)
want=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$expected" | grep -v '^$' | sort -u || true)
unexpected=$(comm -23 <(printf '%s\n' "$got" | grep -v '^$' || true) <(printf '%s\n' "$want"))
stale=$(comm -13 <(printf '%s\n' "$got" | grep -v '^$' || true) <(printf '%s\n' "$want"))
status=0
if [ -n "$unexpected" ]; then
    echo "check-skips: skipped but not expected (tests/expected-skips.txt):"
    printf '%s\n' "$unexpected" | sed 's/^/  /'
    status=1
fi
if [ -n "$stale" ]; then
    echo "check-skips: expected to skip but ran (update tests/expected-skips.txt):"
    printf '%s\n' "$stale" | sed 's/^/  /'
    status=1
fi
[ "$status" -eq 0 ] && echo "check-skips: $(printf '%s\n' "$got" | grep -c . || true) skips, all expected"
exit "$status"
