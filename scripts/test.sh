#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine: installs what is missing, checks the
# formatting, builds and tests the normal (dev) and the sanitizer (asan: ASan + UBSan) builds.
# Tests that need Redis or MariaDB get servers started here on 127.0.0.1 with throw-away data
# directories (scripts/services.sh), stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find include src tests examples bench -name '*.[ch]')
clang-format --dry-run --Werror $files

if [ -f scripts/services.sh ]; then
    # shellcheck source=/dev/null
    source scripts/services.sh
    services_start
    trap services_stop EXIT
fi

jobs=$(nproc 2>/dev/null || echo 2)
for preset in dev asan; do
    echo "== $preset: configure, build, test"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j"$jobs"
    ctest --preset "$preset" -j"$jobs"
done
echo "== all tests passed (dev and asan)"
