#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# wsc on both loop backends (bench_hub --loop poll|epoll), the same scenarios back to back:
# p2p at 10,000 connections and 20,000 msgs/s, paced broadcast (10 msgs/s to 10,000),
# flat-out broadcast (50 x 64 B to 10,000), echo through p2p routing at 1,000, idle at 19,000.
# Servers are labelled wsc-poll and wsc-epoll.  Called by bench/run.sh; by hand:
#   RUNS=2 OUT=bench/results/loops.jsonl bench/run_loops.sh    (Release build first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-1} BIG=${BIG:-10000} MED=${MED:-1000} DUR=${DUR:-10} IDLE=${IDLE:-19000}
OUT=${OUT:-/dev/null}
PORT=${PORT:-9701}
trap stop_server EXIT

# one LOOP SCENARIO ARGS...: one measurement on a fresh bench_hub
one() {
    local loop=$1 scenario=$2
    shift 2
    start_server "wsc-$loop" "$PORT" "$BUILD/bench/bench_hub" --port "$PORT" --loop "$loop" --timeout 600
    "$LG" --scenario "$scenario" --port "$PORT" --server-pid "$SERVER_PID" --server "wsc-$loop" \
        --proto wsc --timeout 240 "$@" | tee -a "$OUT" || echo "bench: wsc-$loop $scenario failed" >&2
    stop_server
    sleep 2 # let the kernel tear down the last scenario's sockets
    PORT=$((PORT + 1))
}

for _ in $(seq 1 "$RUNS"); do
    for loop in poll epoll; do
        one "$loop" p2p --conns "$BIG" --procs 2 --rate $((BIG * 2)) --duration "$DUR" --size 64
        one "$loop" paced --conns "$BIG" --procs 2 --rate 10 --duration "$DUR" --size 64
        one "$loop" broadcast --conns "$BIG" --procs 2 --n 50 --size 64 --rounds 3
        one "$loop" echo --conns "$MED" --procs 1 --duration "$DUR" --size 64
        one "$loop" idle --conns "$IDLE" --procs 4 --conn-rate 8000 --hold 3 --stats-path /bench/stats \
            --extra '"rx_buffer":"default"'
    done
done
