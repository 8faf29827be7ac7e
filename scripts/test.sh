#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine: installs what is missing (the interop
# clients Node and Chromium included), checks the formatting and the layers, builds Release and
# RelWithDebInfo with gcc and clang plus two consumer projects (scripts/check-builds.sh), builds
# and tests the normal (dev, with the coverage summary) and the sanitizer (asan: ASan + UBSan)
# builds, checks that exactly the expected tests skipped, runs the threaded
# tests under ThreadSanitizer (tsan), runs each fuzz target for 60 s (scripts/fuzz.sh), a short
# chaos run (tests/chaos/chaos.py: kill -9 twice, Redis restarted; 0 lost) and checks the
# installed package.
# Tests that need Redis or MariaDB get servers started here on 127.0.0.1 with throw-away data
# directories (scripts/services.sh), stopped again on exit.
# The TypeScript client (clients/typescript) is tested by scripts/test-typescript.sh: npm ci,
# build, Vitest, and the demo page in headless Chromium against the dev build's wsc-hub.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --interop  # tests/interop: Node ws and headless Chromium too

echo "== clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find include src tests examples bench -name '*.[ch]')
clang-format --dry-run --Werror $files
echo "== layers"
bash scripts/check-layers.sh

# Throw-away Redis and MariaDB for the tests labelled redis/mysql (stopped on exit).
services_dir=$(mktemp -d "${TMPDIR:-/tmp}/wsc-services.XXXXXX")
trap 'bash scripts/services.sh stop "$services_dir" >/dev/null 2>&1 || true; rm -rf "$services_dir"' EXIT
# Assigned first: set -e stops the run here when a service fails to start (an eval of the
# command substitution would swallow the failure and every storage test would skip).
services_env=$(bash scripts/services.sh start "$services_dir")
eval "$services_env"
export WSC_SERVICES_DIR="$services_dir" WSC_SERVICES_SCRIPT="$PWD/scripts/services.sh"

jobs=$(nproc 2>/dev/null || echo 2)
bash scripts/check-builds.sh
for preset in dev asan; do
    echo "== $preset: configure, build, test"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j"$jobs"
    ctest --preset "$preset" -j"$jobs" --output-junit "$PWD/build/$preset/ctest-junit.xml"
    bash scripts/check-skips.sh "build/$preset/ctest-junit.xml"  # exactly the expected skips
done
echo "== typescript: the client package, its unit tests and the demo page in headless Chromium"
bash scripts/test-typescript.sh "$PWD/build/dev/examples/wsc-hub"
# After the TypeScript run: its end-to-end tests drive build/dev's wsc-hub too.
echo "== coverage of src/ by the dev run and the TypeScript end-to-end tests (gcovr): at least 95% of lines and 85% of branches"
WSC_COVERAGE_MIN="95 85" bash scripts/coverage.sh build/dev
echo "== tsan: the threaded tests (label threads) under ThreadSanitizer, 0 reports"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs" --target wsc_threads_tests
ctest --preset tsan -L threads -j"$jobs"
echo "== fuzz: every libFuzzer target of tests/fuzz, ${WSC_FUZZ_SECONDS:-60} s each (clang, ASan + UBSan)"
bash scripts/fuzz.sh "${WSC_FUZZ_SECONDS:-60}"
echo "== chaos (short): 5,000 require_ack messages through the Release wsc-hub (--ack-durable, hybrid store), receivers cut every second, two kill -9 and a Redis restart: 0 lost, 0 duplicates"
chaos_py=/usr/bin/python3  # Debian's: python3-websockets lives there
[ -x "$chaos_py" ] || chaos_py=python3
WSC_HUB_BIN="$PWD/build/check/gcc-Release/examples/wsc-hub" \
    WSC_CLI_BIN="$PWD/build/check/gcc-Release/examples/wsc-cli" \
    "$chaos_py" tests/chaos/chaos.py --messages 5000 --cut 1
echo "== install: the CMake package wsc::wsc and wsc.pc work for a program outside the tree"
prefix=$(mktemp -d "${TMPDIR:-/tmp}/wsc-prefix.XXXXXX")
cmake --install build/dev --prefix "$prefix" >/dev/null
cmake -S tests/install -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$prefix/consumer/c"
cc tests/install/main.c -o "$prefix/c-pc" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs wsc)
LD_LIBRARY_PATH="$prefix/lib" "$prefix/c-pc"
rm -rf "$prefix"
echo "== all tests passed (dev, asan, typescript, tsan threads, fuzz, chaos, install)"
