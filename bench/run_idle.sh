#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The idle scenario alone: hub RSS per connection at 15,000 and 19,000 idle connections, with
# an lws receive buffer of 512 (default) and 128 bytes.  Too heavy for the test suite; run by
# hand or from bench/run.sh.  Prints one JSON line per measurement (append to a file with
# OUT=path).  Needs a Release build (cmake --preset release && cmake --build build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
PORT=${PORT:-9401}
OUT=${OUT:-/dev/null}
trap stop_server EXIT
for rx in ${RX_SIZES:-512 128}; do
    for n in ${CONNS:-15000 19000}; do
        start_server bench_hub "$PORT" "$BUILD/bench/bench_hub" --port "$PORT" --rx-buffer "$rx" --timeout 300
        "$LG" --scenario idle --port "$PORT" --conns "$n" --procs 4 --conn-rate 8000 --hold 3 \
            --server-pid "$SERVER_PID" --server wsc --extra "\"rx_buffer\":$rx" --stats-path "/bench/stats?trim=1" --timeout 120 | tee -a "$OUT"
        stop_server
    done
done
