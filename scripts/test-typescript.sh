#!/usr/bin/env bash
# Tests the TypeScript client (clients/typescript) and the demo page built on it:
#   npm ci, build (dist/), type check, the committed demo page (examples/wsc-hub/demo_page.html)
#   is the build of clients/typescript/demo, Vitest unit tests, then end-to-end tests of the demo
#   page in headless Chromium against the real wsc-hub (e2e/run.mjs).
# The e2e part is skipped, with a message, only where Chromium is not installed
# (scripts/install-deps.sh --interop installs it on Debian).
#
#   scripts/test-typescript.sh [WSC_HUB_BIN]    default: build/dev/examples/wsc-hub (built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hub=${1:-${WSC_HUB_BIN:-$root/build/dev/examples/wsc-hub}}

for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "test-typescript: $tool is missing (scripts/install-deps.sh --interop)" >&2; exit 1; }
done
if [ ! -x "$hub" ]; then
    cmake --preset dev >/dev/null
    cmake --build --preset dev -j2 --target wsc-hub
    hub=$root/build/dev/examples/wsc-hub
fi

cd clients/typescript
echo "== typescript: npm ci, build, type check, demo page up to date"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
npm run --silent typecheck
npm run --silent check:demo
echo "== typescript: unit tests (Vitest)"
npx vitest run
echo "== typescript: end-to-end in headless Chromium against $hub"
rc=0
WSC_HUB_BIN=$hub node e2e/run.mjs || rc=$?
if [ "$rc" -eq 77 ]; then
    echo "test-typescript: e2e SKIPPED (no Chromium here); unit tests passed"
    exit 0
fi
exit "$rc"
