#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One command for the benchmark matrix of docs/benchmarks.md: builds Release, installs what the
# bench needs, runs wsc, the plain-lws baseline and the Node `ws` baseline through the same
# load generator on loopback, writes bench/results/latest.jsonl and rewrites
# docs/benchmarks.md with plots in docs/img/.  About ten minutes on 2 cores.
#   QUICK=1 bench/run.sh     smaller sizes, for trying the harness (does not touch docs/)
#   ONLY=publish bench/run.sh  only the publishers from outside (wsc-hub, plain lws, ws, uWS),
#                            into bench/results/latest-publish.jsonl; the page is rewritten from
#                            it and the last full run's latest.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" # 10,000 receivers
. bench/lib.sh

# --- tools and build
need=()
for t in node npm gnuplot strace python3 cmake; do command -v "$t" >/dev/null || need+=("$t"); done
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing the bench tools (missing: ${need[*]})" >&2
    bash scripts/install-deps.sh --bench
fi
if [ ! -d bench/node_modules/ws ]; then
    (cd bench && npm install --no-audit --no-fund --silent ws@8)
fi
cmake --preset release >/dev/null
cmake --build build/release -j2 >/dev/null
# uWebSockets' pub/sub, built from its public source outside the repo (bench/build_uws.sh)
UWS_BIN=
if bash bench/build_uws.sh >&2; then
    UWS_BIN=build/uws/baseline_uws
else
    echo "bench: uWebSockets could not be built: its rows are left out" >&2
fi

# --- sizes
if [ "${QUICK:-0}" = 1 ]; then
    BIG=2000 IDLE_N="1500 1900" MED=200 DUR=3 ROUNDS=1 REPEAT=1 OUT=bench/results/quick.jsonl
else
    BIG=10000 IDLE_N="15000 19000" MED=1000 DUR=10 ROUNDS=3 REPEAT=3 OUT=bench/results/latest.jsonl
fi
mkdir -p bench/results
# the publishers from outside (issue 12) go to their own file; ONLY=publish runs just them
PUB_OUT=${OUT%.jsonl}-publish.jsonl
[ "${ONLY:-}" = publish ] || : >"$OUT"
: >"$PUB_OUT"
PORT=9601
trap stop_server EXIT

# start NAME: starts server NAME (wsc, wsc128, lws, ws) on $PORT
start() {
    case $1 in
    wsc) start_server wsc "$PORT" "$BUILD/bench/bench_hub" --port "$PORT" --timeout 600 ;;
    wsc128) start_server wsc "$PORT" "$BUILD/bench/bench_hub" --port "$PORT" --rx-buffer 128 --timeout 600 ;;
    wsc512) start_server wsc "$PORT" "$BUILD/bench/bench_hub" --port "$PORT" --rx-buffer 512 --timeout 600 ;;
    lws) start_server lws "$PORT" "$BUILD/bench/baseline_lws" --port "$PORT" --timeout 600 ;;
    lws128) start_server lws "$PORT" "$BUILD/bench/baseline_lws" --port "$PORT" --rx-buffer 128 --timeout 600 ;;
    lws-libev) start_server lws "$PORT" "$BUILD/bench/baseline_lws" --port "$PORT" --evlib ev --timeout 600 ;;
    lws128-libev) start_server lws "$PORT" "$BUILD/bench/baseline_lws" --port "$PORT" --rx-buffer 128 --evlib ev --timeout 600 ;;
    ws) start_server ws "$PORT" node bench/baseline_ws.js --port "$PORT" --timeout 600 ;;
    uws) start_server uws "$PORT" "$UWS_BIN" --port "$PORT" --timeout 600 ;;
    wschub) start_server wschub "$PORT" "$BUILD/examples/wsc-hub" --listen "127.0.0.1:$PORT" \
        --insecure-user-id --insecure-api --broadcast-users pub --max-pending-per-ip 0 \
        --max-handshakes 1024 --log-level warn ;;
    esac
}

# lg SERVER SCENARIO ARGS...: one measurement on a fresh server
lg() {
    local server=$1 scenario=$2 label=$1 proto=raw
    shift 2
    case $server in wschub) proto=wsc label=wsc-hub ;; wsc*) proto=wsc label=wsc ;; lws128) label=lws ;; lws128-libev) label=lws-libev ;; esac
    start "$server"
    "$LG" --scenario "$scenario" --port "$PORT" --server-pid "$SERVER_PID" --server "$label" \
        --proto "$proto" --timeout 240 "$@" | tee -a "${LG_OUT:-$OUT}" ||
        echo "bench: $server $scenario failed" >&2
    stop_server
    sleep 2 # let the kernel tear down the last scenario's sockets before the next one
    PORT=$((PORT + 1))
}

# --- publishers from outside, as users publish: a WebSocket client of the server (wsc-hub's
# user "pub" may broadcast; the baselines forward what user_id=pub sends) and wsc-hub's HTTP
# API.  REPEAT rounds, servers alternating; report.py takes the median of each.
PUBS="wschub lws ws${UWS_BIN:+ uws}"
if [ -n "$UWS_BIN" ]; then # which uWebSockets: {"scenario":"meta","uws_commit":…}
    sed 's/^{/{"scenario":"meta",/' build/uws/commits.json >>"$PUB_OUT"
    echo >>"$PUB_OUT"
fi
for ((r = 1; r <= REPEAT; r++)); do
    echo "bench: publishers from outside, repeat $r of $REPEAT" >&2
    for size in 64 1024; do
        for s in $PUBS; do
            LG_OUT=$PUB_OUT lg "$s" broadcast --conns "$BIG" --procs 2 --n 50 --size "$size" \
                --rounds "$ROUNDS" --publisher pub --count --extra "\"publisher\":\"ws\",\"repeat\":$r"
        done
    done
    for mode in batch keepalive; do
        LG_OUT=$PUB_OUT lg wschub broadcast --conns "$BIG" --procs 2 --n 50 --size 64 \
            --rounds "$ROUNDS" --publish-http "$mode" --count \
            --extra "\"publisher\":\"http-$mode\",\"repeat\":$r"
    done
    for s in $PUBS; do
        LG_OUT=$PUB_OUT lg "$s" paced --conns "$BIG" --procs 2 --rate 10 --duration "$DUR" \
            --size 64 --publisher pub --extra "\"publisher\":\"ws\",\"repeat\":$r"
    done
done
if [ "${ONLY:-}" = publish ]; then
    if [ "${QUICK:-0}" != 1 ]; then
        python3 bench/report.py "$OUT" docs/benchmarks.md docs/img
        echo "bench: wrote $PUB_OUT and docs/benchmarks.md" >&2
    fi
    exit 0
fi

echo "bench: micro-benchmarks" >&2
"$BUILD/bench/wsc-micro" | tee -a "$OUT"

echo "bench: idle" >&2
for n in $IDLE_N; do
    lg wsc idle --conns "$n" --procs 4 --conn-rate 8000 --hold 3 --stats-path /bench/stats --extra '"rx_buffer":128'
done
lg wsc512 idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --hold 3 --stats-path /bench/stats --extra '"rx_buffer":512'
lg wsc128 idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --inflight 8 --hold 3 --stats-path /bench/stats --extra '"rx_buffer":128,"note":"8 handshakes in flight per loadgen process"'
lg lws idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --hold 3
lg ws idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --hold 3
# lws's own floor: the same small buffer and handshake concurrency as the best wsc row
lg lws128 idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --inflight 8 --hold 3 --extra '"rx_buffer":128,"note":"8 handshakes in flight per loadgen process"'
# ... and on libev (epoll), the loop wsc runs on by default: lws adds its libev watchers to every
# connection (bench/analysis.md, "What the default loop costs lws itself")
lg lws128-libev idle --conns "${IDLE_N##* }" --procs 4 --conn-rate 8000 --inflight 8 --hold 3 --extra '"rx_buffer":128,"note":"8 handshakes in flight per loadgen process"'

echo "bench: broadcast, flat-out (50 messages at once)" >&2
for size in 64 1024; do
    for s in wsc lws ws; do
        lg "$s" broadcast --conns "$BIG" --procs 2 --n 50 --size "$size" --rounds "$ROUNDS"
    done
done

echo "bench: broadcast, paced (10 messages/s)" >&2
for s in wsc lws ws; do
    lg "$s" paced --conns "$BIG" --procs 2 --rate 10 --duration "$DUR" --size 64
done

echo "bench: echo (wsc: through p2p routing)" >&2
lg wsc echo --conns "$MED" --procs 1 --duration "$DUR" --size 64
lg lws echo --conns "$MED" --procs 1 --duration "$DUR" --size 64
lg lws-libev echo --conns "$MED" --procs 1 --duration "$DUR" --size 64
lg ws echo --conns "$MED" --procs 1 --duration "$DUR" --size 64

echo "bench: p2p and ack (wsc only)" >&2
lg wsc p2p --conns "$BIG" --procs 2 --rate $((BIG * 2)) --duration "$DUR" --size 64
# the same open-loop traffic echoed by plain lws, on its own poll() loop and on libev (epoll)
lg lws p2p --conns "$BIG" --procs 2 --rate $((BIG * 2)) --duration "$DUR" --size 64 --extra '"note":"open-loop echo"'
lg lws-libev p2p --conns "$BIG" --procs 2 --rate $((BIG * 2)) --duration "$DUR" --size 64 --extra '"note":"open-loop echo, lws on libev"'
lg wsc ack --conns "$MED" --procs 1 --conns-per-user 2 --duration "$DUR" --size 64

echo "bench: wsc on both loop backends (wsc-poll, wsc-epoll)" >&2
RUNS=1 BIG=$BIG MED=$MED DUR=$DUR IDLE=${IDLE_N##* } OUT=$OUT PORT=$((PORT + 100)) bench/run_loops.sh

echo "bench: connect" >&2
for s in wsc lws ws; do
    lg "$s" connect --conns "$BIG" --procs 2 --inflight 256
done

echo "bench: burst (100 messages to one user)" >&2
for s in wsc lws ws; do
    lg "$s" burst --conns 1 --procs 1 --n 100 --size 64
done

if [ "${QUICK:-0}" != 1 ]; then
    python3 bench/report.py "$OUT" docs/benchmarks.md docs/img
    echo "bench: wrote $OUT, docs/benchmarks.md and docs/img/" >&2
fi
