# SPDX-License-Identifier: MIT
# Helpers shared by the bench scripts: start a server in the background and wait until it
# listens, stop it.  Sourced, not run.

BUILD=${BUILD:-build/release}
LG=${LG:-$BUILD/bench/wsc-loadgen}

# start_server NAME PORT CMD... : starts CMD, waits for PORT, sets SERVER_PID.
start_server() {
    local name=$1 port=$2
    shift 2
    "$@" >"/tmp/wsc-bench-$name.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            sleep 0.3
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: $name did not start (see /tmp/wsc-bench-$name.log)" >&2
    return 1
}

stop_server() {
    if [ -n "${SERVER_PID:-}" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
