#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Slow consumers (issue 15): 1,000 clients that never read while others chat, against the
# real wsc-hub binary (embedded store), all from separate processes on loopback.
#   1. quiet: wsc-loadgen p2p, CHAT connections chatting in pairs at RATE msgs/s -> p99;
#   2. control: bench/slow_readers.py --read opens SLOW more connections that keep sending
#      p2p frames to one another and read what comes; the same p2p run beside them -> p99
#      (what that traffic costs the others on this machine, with nobody slow);
#   3. slow: the same SLOW connections and traffic, but they never read (so the hub has frames
#      to queue towards each of them); the same p2p run -> p99, the hub's RSS sampled each second;
# prints the three p99s, slow against quiet (the issue's target: <= 1.2) and against control
# (what slowness itself costs), the RSS samples, the bound the queue limits set (RSS before
# + SLOW x (queue_max_bytes + the 64 KiB write lws may keep)) and the RSS growth over the
# last half of the slow phase (flat when the queues are full and bounded).
#   bench/run_slow.sh            QUICK=1 bench/run_slow.sh (smaller, for trying it)
# Sizes: SLOW CHAT RATE DUR, SLOW_RATE SIZE (towards the slow readers), QBYTES QCOUNT (the hub's
# queue limits), PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

cmake --preset release >/dev/null
cmake --build build/release -j2 >/dev/null
HUB=$BUILD/examples/wsc-hub
ulimit -n "$(ulimit -Hn)"

if [ "${QUICK:-0}" = 1 ]; then
    SLOW=200 CHAT=400 RATE=800 DUR=4
else
    SLOW=${SLOW:-1000} CHAT=${CHAT:-2000} RATE=${RATE:-4000} DUR=${DUR:-10}
fi
QBYTES=${QBYTES:-262144} QCOUNT=${QCOUNT:-256} SLOW_RATE=${SLOW_RATE:-500} SIZE=${SIZE:-4096}
PORT=${PORT:-9801}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsc-slow.XXXXXX")
SLOW_PID=
cleanup() {
    [ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }

start_server hub "$PORT" "$HUB" --listen "127.0.0.1:$PORT" --insecure-user-id --insecure-api \
    --max-pending-per-ip 0 --max-conns-per-ip 0 --max-handshakes 4096 --log-level warn \
    --queue-max-bytes "$QBYTES" --queue-max-count "$QCOUNT"

p2p() { # prints loadgen's JSON line
    "$LG" --scenario p2p --port "$PORT" --server-pid "$SERVER_PID" --server wsc-hub \
        --conns "$CHAT" --procs 2 --rate "$RATE" --duration "$DUR" --size 64 --timeout 120 \
        --user-prefix chat "$@"
}
p99() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["lat_us_p99"])'; }

echo "bench: quiet p2p ($CHAT chatting at $RATE msgs/s)" >&2
quiet=$(p2p --extra '"phase":"quiet"')
echo "$quiet"
rss0=$(rss_kb)

# phase NAME [--read]: SLOW extra clients sending SLOW_RATE frames/s of SIZE B to one another
# (reading what comes with --read, never reading without), the p2p run beside them, the hub's
# RSS sampled every second into $TMP/rss.NAME; the p2p line goes to $TMP/p2p.NAME.
phase() {
    local name=$1
    shift
    echo "bench: $name: $SLOW extra clients ($*), $SLOW_RATE frames/s of $SIZE B to them" >&2
    rm -f "$TMP/ready"
    python3 bench/slow_readers.py --port "$PORT" --conns "$SLOW" --rate "$SLOW_RATE" \
        --size "$SIZE" --ready "$TMP/ready" "$@" >"$TMP/readers.$name" &
    SLOW_PID=$!
    for _ in $(seq 1 600); do [ -s "$TMP/ready" ] && break; sleep 0.1; done
    [ -s "$TMP/ready" ] || { echo "bench: the extra clients did not connect" >&2; exit 1; }
    sleep 5 # the queues of clients that never read fill
    ( while kill -0 "$SERVER_PID" 2>/dev/null; do rss_kb; sleep 1; done ) >"$TMP/rss.$name" &
    local sampler=$!
    p2p --extra "\"phase\":\"$name\"" | tee "$TMP/p2p.$name"
    sleep 3
    kill "$sampler" 2>/dev/null || true
    kill "$SLOW_PID"
    wait "$SLOW_PID" || true
    SLOW_PID=
    sleep 2 # their connections close
}
phase control --read
phase slow
control=$(cat "$TMP/p2p.control") slow=$(cat "$TMP/p2p.slow")

python3 - "$quiet" "$control" "$slow" "$rss0" "$SLOW" "$QBYTES" "$TMP" <<'PY'
import json, sys
quiet, control, slow = (json.loads(x) for x in sys.argv[1:4])
rss0, nslow, qbytes, tmp = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
readers = json.loads(open(f"{tmp}/readers.slow").read() or "{}")
rss = [int(x) for x in open(f"{tmp}/rss.slow").read().split()]
ratio = slow["lat_us_p99"] / max(1, quiet["lat_us_p99"])
ratio_control = slow["lat_us_p99"] / max(1, control["lat_us_p99"])
# What the queue limits allow: queue_max_bytes of messages (their frames and decoded fields,
# wsc__msg_held) plus one write the kernel did not take, which lws keeps (at most the hub's
# 64 KiB write buffer), per connection that does not read.
bound = rss0 + nslow * (qbytes + 65536) // 1024
half = rss[len(rss) // 2:] or [0]
growth = (max(half) - min(half)) / max(1, min(half))
out = {"bench": "slow_consumers", "slow_conns": readers.get("slow_conns"),
       "slow_frames_sent": readers.get("sent"), "slow_reopened": readers.get("reopened"),
       "quiet_p99_us": quiet["lat_us_p99"], "slow_p99_us": slow["lat_us_p99"],
       "control_p99_us": control["lat_us_p99"], "p99_vs_quiet": round(ratio, 2),
       "p99_vs_control": round(ratio_control, 2), "p99_ok": ratio <= 1.2,
       "received": [quiet.get("received"), control.get("received"), slow.get("received")],
       "rss_before_kb": rss0, "rss_max_kb": max(rss or [0]), "rss_bound_kb": bound,
       "rss_ok": max(rss or [0]) <= bound, "rss_last_half_growth": round(growth, 3),
       "rss_samples_kb": rss}
print(json.dumps(out))
PY
