#!/usr/bin/env bash
# Builds wsc (Release) and starts the demo: wsc-hub on 127.0.0.1:8080 with the demo chat page,
# identity from ?user_id= and the HTTP API open without a key.  For demos only: anyone who can
# reach the port can claim any user id and use the API.  Ctrl-C stops it gracefully.
#
#   scripts/demo.sh [extra wsc-hub flags]       e.g. scripts/demo.sh --listen 127.0.0.1:9090
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/demo"

"$root/scripts/install-deps.sh"
# Warnings stay warnings here: -Werror is for development and CI (the dev/asan presets), and a
# demo must not fail because a newer compiler found something new to say.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWSC_WERROR=OFF -DWSC_BUILD_TESTS=OFF \
      -DWSC_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target wsc-hub >/dev/null

echo "demo: open the printed URL in two browser tabs, connect as two users and chat" >&2
exec "$build/examples/wsc-hub" --listen 127.0.0.1:8080 --insecure-user-id --insecure-api "$@"
