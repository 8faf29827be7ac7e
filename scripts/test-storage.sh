#!/usr/bin/env bash
# Runs the repository contract and fault tests, and the hub-on-Redis integration tests
# (integration.*_redis), against real Redis and MariaDB started on
# free loopback ports with throw-away data (scripts/services.sh), then stops them.
#   scripts/test-storage.sh [build-dir]      (default build/dev)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/dev}
dir=$(mktemp -d "${TMPDIR:-/tmp}/wsc-services.XXXXXX")
trap '"$here/services.sh" stop "$dir"' EXIT
services_env=$("$here/services.sh" start "$dir")  # set -e stops here on failure
eval "$services_env"
export WSC_SERVICES_DIR="$dir" WSC_SERVICES_SCRIPT="$here/services.sh"
ctest --test-dir "$build" --output-on-failure -R '^repository\.|^integration\..*_redis$|^integration\.store_kill\.'
