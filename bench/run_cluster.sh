#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The "Measured" figures of issue 11 (docs/cluster.md, "Figures"): builds Release, starts a
# throw-away redis-server on 127.0.0.1, then for each scenario starts real wsc-hub processes
# (three nodes of one cluster, one node on the same Redis, one node without Redis) and drives
# them with wsc-loadgen from outside:
#   p2p        N connections, connection i on node i % nodes, each sending to the user of
#              connection i ^ 1 (with three nodes always another node) at RATE msgs/s in all
#   broadcast  N receivers spread the same way; a WebSocket client "pub" on node 0 (allowed by
#              --broadcast-users) sends 50 frames of 64 B with "broadcast_type":"global" back
#              to back, ROUNDS times
# Every message carries its sender and a sequence number; the load generator counts
# duplicates and losses and fails (exit 2, "dup_loss_ok":false) on any.  Each run is one JSON
# line in bench/results/cluster.jsonl; bench/cluster_report.py adds the summary lines and
# rewrites the table in docs/cluster.md.
#   QUICK=1 bench/run_cluster.sh    300 connections, 2 s, one repeat (does not touch docs/)
#   REPEAT=3 (default 3) runs of each row; the table shows the median.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

cmake --preset release >/dev/null
cmake --build build/release -j2 >/dev/null
HUB=$BUILD/examples/wsc-hub

if [ "${QUICK:-0}" = 1 ]; then
    N=300 RATE=600 DUR=2 BROUNDS=1 REPEAT=${REPEAT:-1} OUT=bench/results/cluster-quick.jsonl
else
    N=10000 RATE=20000 DUR=10 BROUNDS=3 REPEAT=${REPEAT:-3} OUT=bench/results/cluster.jsonl
fi
mkdir -p bench/results
: >"$OUT"
ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsc-cbench.XXXXXX")
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PIDS=()
cleanup() {
    stop_nodes
    local rpid
    rpid=$(cat "$TMP/redis.pid" 2>/dev/null || true)
    if [ -n "$rpid" ]; then
        kill "$rpid" 2>/dev/null || true
        # it writes into $TMP until it is gone
        for _ in $(seq 1 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$TMP" --save '' --appendonly no \
    --daemonize yes --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log" >/dev/null
for _ in $(seq 1 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS=redis://127.0.0.1:$RPORT

PORT0=9701
# start_nodes K REDIS_URL|-: K wsc-hub processes on PORT0.., all on REDIS_URL (- : no Redis)
start_nodes() {
    local k=$1 url=$2 i port
    redis-cli -p "$RPORT" flushall >/dev/null
    PIDS=() PORTS=""
    for ((i = 0; i < k; i++)); do
        port=$((PORT0 + i))
        local args=(--listen "127.0.0.1:$port" --insecure-user-id --insecure-api
            --broadcast-users pub --max-pending-per-ip 0 --max-handshakes 1024
            --log-level warn)
        [ "$url" != - ] && args+=(--redis "$url" --node-id "n$i")
        start_server "hub-n$i" "$port" "$HUB" "${args[@]}"
        PIDS+=("$SERVER_PID")
        PORTS=${PORTS:+$PORTS,}$port
    done
    SERVER_PID=
}

stop_nodes() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PIDS=()
}

# lg LABEL NODES REDIS_URL|- REPEAT SCENARIO ARGS...: one measurement on fresh nodes
STATUS=0
lg() {
    local label=$1 k=$2 url=$3 rep=$4 scenario=$5
    shift 5
    start_nodes "$k" "$url"
    local pids; pids=$(IFS=,; echo "${PIDS[*]}")
    "$LG" --scenario "$scenario" --ports "$PORTS" --server-pid "$pids" --server "$label" \
        --timeout 240 --procs 2 --size 64 --count \
        --extra "\"nodes\":$k,\"redis\":$([ "$url" = - ] && echo false || echo true),\"repeat\":$rep" \
        "$@" | tee -a "$OUT" || { STATUS=2; echo "bench: $label $scenario failed" >&2; }
    stop_nodes
    sleep 2 # let the kernel tear down the last run's sockets
}

for ((r = 1; r <= REPEAT; r++)); do
    echo "bench: repeat $r of $REPEAT" >&2
    for row in "cluster3 3 $REDIS" "node1 1 $REDIS" "single 1 -"; do
        set -- $row
        lg "$1" "$2" "$3" "$r" p2p --conns "$N" --rate "$RATE" --duration "$DUR" --drain 3
        lg "$1" "$2" "$3" "$r" broadcast --conns "$N" --n 50 --rounds "$BROUNDS" --publisher pub
    done
done

if [ "${QUICK:-0}" != 1 ]; then
    python3 bench/cluster_report.py "$OUT" docs/cluster.md "bench/run_cluster.sh" | tee -a "$OUT"
else
    python3 bench/cluster_report.py "$OUT" - "QUICK=1 bench/run_cluster.sh"
fi
exit "$STATUS"
