#!/usr/bin/env bash
# The builds users run, warning-free: Release and RelWithDebInfo with gcc and with clang
# (warnings as errors here, where we choose the compilers), then a consumer that pulls wsc in
# with add_subdirectory() and one that uses FetchContent (from this checkout's HEAD commit).
# Usage: bash scripts/check-builds.sh [build-root]   (default: build/check)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-build/check}
jobs=$(nproc 2>/dev/null || echo 2)
bash scripts/install-deps.sh
for cc in gcc clang; do
    for type in Release RelWithDebInfo; do
        echo "== build: $cc $type (-Werror)"
        dir="$root/$cc-$type"
        cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" -DWSC_WERROR=ON >/dev/null
        cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
    done
done
echo "== consumer: add_subdirectory()"
cmake -S tests/consumer/subdir -B "$root/subdir" -DWSC_SOURCE="$PWD" >/dev/null
cmake --build "$root/subdir" -j"$jobs" >/dev/null
"$root/subdir/c"
if git rev-parse --git-dir >/dev/null 2>&1; then
    echo "== consumer: FetchContent (HEAD $(git rev-parse --short HEAD))"
    cmake -S tests/consumer/fetch -B "$root/fetch" -DWSC_GIT="$PWD" -DWSC_GIT_TAG="$(git rev-parse HEAD)" >/dev/null
    cmake --build "$root/fetch" -j"$jobs" >/dev/null
    "$root/fetch/c"
fi
echo "== builds ok"
