#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Chaos at scale, the whole run (issue 15): builds Release, starts throw-away Redis and MariaDB
# (scripts/services.sh), and runs tests/chaos/chaos.py: 1,000,000 require_ack messages through
# wsc-hub on Redis + MariaDB while the receivers' connections are cut every 3 s, the hub is
# killed with -9 twice and Redis restarts once; 0 lost and 0 duplicates, or it fails.
#   scripts/chaos.sh [chaos.py options, e.g. --messages 100000]
# The hub runs with --ack-durable; CI runs a short version (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake --preset release >/dev/null
cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
dir=$(mktemp -d "${TMPDIR:-/tmp}/wsc-chaos.XXXXXX")
trap 'bash scripts/services.sh stop "$dir" >/dev/null 2>&1 || true' EXIT
services_env=$(bash scripts/services.sh start "$dir")
eval "$services_env"
export WSC_SERVICES_DIR="$dir" WSC_SERVICES_SCRIPT="$PWD/scripts/services.sh"
export WSC_HUB_BIN="$PWD/build/release/examples/wsc-hub" WSC_CLI_BIN="$PWD/build/release/examples/wsc-cli"
python3 tests/chaos/chaos.py "$@"
