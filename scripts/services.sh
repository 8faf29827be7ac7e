#!/usr/bin/env bash
# Starts throw-away redis-server, a 3-master Redis Cluster and mariadbd on 127.0.0.1 (free
# ports, data under $TMPDIR) for the storage tests, or stops them.
#   scripts/services.sh start [dir]   prints  export WSC_TEST_REDIS_URL=... WSC_TEST_MYSQL_URL=...
#                                             WSC_TEST_REDIS_CLUSTER_URL=redis+cluster://...
#   scripts/services.sh stop  [dir]
#   scripts/services.sh ensure-redis|ensure-mysql|restart-redis|stop-redis|start-redis|stop-mysql|start-mysql [dir]
#   scripts/services.sh hangup-redis|hangup-mysql [dir]   the server closes every client
#                                                          connection (it stays up)
#   scripts/services.sh start-cluster|stop-cluster [dir]
#   scripts/services.sh move-slot DIR SLOT   moves one slot of the cluster to another master
#   scripts/services.sh pause-cluster DIR MS  every cluster node holds its clients' commands
#                                             for MS ms (CLIENT PAUSE), then runs them in order
# dir defaults to $TMPDIR/wsc-services (one set of services per dir).
set -euo pipefail

cmd=${1:-start}
dir=${2:-${TMPDIR:-/tmp}/wsc-services}
here=$(cd "$(dirname "$0")" && pwd)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A Redis Cluster node also listens on its port + 10000 (the cluster bus), so its port must be
# at most 55535 (redis-server refuses to start otherwise) and both ports must be free. The
# kernel's ephemeral range (32768-60999) often gives more than 55535: pick from 20000-45535.
free_cluster_port() {
    python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(1000):
    p = random.randint(20000, 45535)
    if free(p) and free(p + 10000):
        print(p)
        break
else:
    raise SystemExit("services: no free port pair for a Redis Cluster node")
PY
}

wait_for() { # tries a command for up to 30 s
    for _ in $(seq 1 300); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "services: timed out waiting for: $*" >&2
    return 1
}

start_redis() {
    local port; port=$(cat "$dir/redis.port" 2>/dev/null || free_port)
    echo "$port" >"$dir/redis.port"
    mkdir -p "$dir/redis"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir/redis" --save '' --appendonly no \
        --requirepass wsctest --daemonize yes --pidfile "$dir/redis.pid" \
        --logfile "$dir/redis.log"
    wait_for redis-cli -h 127.0.0.1 -p "$port" -a wsctest --no-auth-warning ping
}

pid_alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pidfile() {
    local f=$1
    [ -f "$f" ] || return 0
    local pid; pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
}

# Redis Cluster: three masters, no replicas, each in its own directory (nodes.conf there).
start_cluster() {
    local ports=() p
    for i in 0 1 2; do
        p=$(cat "$dir/rc$i.port" 2>/dev/null || free_cluster_port)
        echo "$p" >"$dir/rc$i.port"
        ports+=("127.0.0.1:$p")
        mkdir -p "$dir/rc$i"
        redis-server --bind 127.0.0.1 --port "$p" --dir "$dir/rc$i" --save '' --appendonly no \
            --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
            --requirepass wsctest --masterauth wsctest --daemonize yes \
            --pidfile "$dir/rc$i.pid" --logfile "$dir/rc$i.log"
        wait_for redis-cli -h 127.0.0.1 -p "$p" -a wsctest --no-auth-warning ping
    done
    # Created once; a restart finds its nodes.conf and meets the others again.
    if [ ! -f "$dir/rc.created" ]; then
        redis-cli -a wsctest --no-auth-warning --cluster create "${ports[@]}" \
            --cluster-replicas 0 --cluster-yes >"$dir/rc-create.log" 2>&1
        touch "$dir/rc.created"
    fi
    for p in "${ports[@]}"; do
        wait_for sh -c "redis-cli -h 127.0.0.1 -p ${p#*:} -a wsctest --no-auth-warning \
            cluster info | grep -q cluster_state:ok"
    done
}

# Moves slot $1 of the Redis Cluster, keys and all, from its master to another one (what
# redis-cli --cluster reshard does for one chosen slot): IMPORTING/MIGRATING, MIGRATE, NODE.
move_slot() {
    local slot=$1 p0 nodes src_id src_port dst_id dst_port keys
    p0=$(cat "$dir/rc0.port")
    nodes=$(rcli "$p0" cluster nodes)
    read -r src_id src_port < <(echo "$nodes" | awk -v s="$slot" '{ split($2, a, "[:@]")
        for (i = 9; i <= NF; i++) { n = split($i, r, "-"); hi = n > 1 ? r[2] : r[1]
            if (s + 0 >= r[1] + 0 && s + 0 <= hi + 0) print $1, a[2] } }')
    read -r dst_id dst_port < <(echo "$nodes" | awk -v x="$src_id" \
        '$3 ~ /master/ && $1 != x { split($2, a, "[:@]"); print $1, a[2]; exit }')
    rcli "$dst_port" cluster setslot "$slot" importing "$src_id" >/dev/null
    rcli "$src_port" cluster setslot "$slot" migrating "$dst_id" >/dev/null
    while keys=$(rcli "$src_port" cluster getkeysinslot "$slot" 100) && [ -n "$keys" ]; do
        # shellcheck disable=SC2086 # one argument per key
        rcli "$src_port" migrate 127.0.0.1 "$dst_port" "" 0 5000 AUTH wsctest KEYS $keys >/dev/null
    done
    for i in 0 1 2; do rcli "$(cat "$dir/rc$i.port")" cluster setslot "$slot" node "$dst_id" >/dev/null; done
    echo "$src_port $dst_port"
}

rcli() { local p=$1; shift; redis-cli -h 127.0.0.1 -p "$p" -a wsctest --no-auth-warning "$@"; }

stop_cluster() {
    for i in 0 1 2; do stop_pidfile "$dir/rc$i.pid"; done
}

start_mysql() {
    local port; port=$(cat "$dir/mysql.port" 2>/dev/null || free_port)
    echo "$port" >"$dir/mysql.port"
    local init=0
    if [ ! -d "$dir/mysql/mysql" ]; then
        mkdir -p "$dir/mysql"
        mariadb-install-db --no-defaults --user=root --datadir="$dir/mysql" \
            --auth-root-authentication-method=normal >"$dir/mysql-install.log" 2>&1
        init=1
    fi
    # A commit is written to the OS at once and flushed to disk once a second
    # (innodb_flush_log_at_trx_commit=2): the server survives its own kill -9 (and the hub's)
    # with every commit; only a machine crash could lose the last second, which no test does.
    mariadbd --no-defaults --user=root --datadir="$dir/mysql" --socket="$dir/mysql.sock" \
        --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysql.pid" \
        --skip-name-resolve --innodb-buffer-pool-size=64M \
        --innodb-flush-log-at-trx-commit=2 >"$dir/mysql.log" 2>&1 &
    wait_for mariadb --no-defaults -uroot --socket="$dir/mysql.sock" -e 'select 1'
    if [ "$init" = 1 ]; then
        mariadb --no-defaults -uroot --socket="$dir/mysql.sock" -e \
            "CREATE DATABASE wsc_test; CREATE USER 'wsc'@'127.0.0.1' IDENTIFIED BY 'wsctest';
             GRANT ALL ON wsc_test.* TO 'wsc'@'127.0.0.1'; FLUSH PRIVILEGES;"
    fi
}

hangup_redis() {
    redis-cli -h 127.0.0.1 -p "$(cat "$dir/redis.port")" -a wsctest --no-auth-warning \
        CLIENT KILL TYPE normal >/dev/null
}

hangup_mysql() {
    local sql=(mariadb --no-defaults -uroot --socket="$dir/mysql.sock" -N -B)
    "${sql[@]}" -e "SELECT CONCAT('KILL ', id, ';') FROM information_schema.processlist
                    WHERE user = 'wsc'" | "${sql[@]}"
}

urls() {
    echo "export WSC_TEST_REDIS_URL=redis://:wsctest@127.0.0.1:$(cat "$dir/redis.port")/0"
    echo "export WSC_TEST_MYSQL_URL=mysql://wsc:wsctest@127.0.0.1:$(cat "$dir/mysql.port")/wsc_test"
    if [ -f "$dir/rc0.port" ]; then
        echo "export WSC_TEST_REDIS_CLUSTER_URL=redis+cluster://127.0.0.1:$(cat "$dir/rc0.port"),127.0.0.1:$(cat "$dir/rc1.port"),127.0.0.1:$(cat "$dir/rc2.port")?password=wsctest"
    fi
}

case "$cmd" in
start)
    "$here/install-deps.sh" >&2
    mkdir -p "$dir"
    start_redis
    start_cluster
    start_mysql
    urls
    ;;
stop)
    stop_pidfile "$dir/redis.pid"
    stop_cluster
    stop_pidfile "$dir/mysql.pid"
    rm -rf "$dir"
    ;;
urls) urls ;;
stop-redis) stop_pidfile "$dir/redis.pid" ;;
start-redis) start_redis ;;
restart-redis) stop_pidfile "$dir/redis.pid"; start_redis ;;
stop-mysql) stop_pidfile "$dir/mysql.pid" ;;
start-cluster) start_cluster ;;
move-slot) move_slot "$3" ;;
pause-cluster) for i in 0 1 2; do rcli "$(cat "$dir/rc$i.port")" client pause "$3" all >/dev/null; done ;;
stop-cluster) stop_cluster ;;
start-mysql) start_mysql ;;
ensure-redis|ensure-mysql) # starts the server when it is down (a test that stopped it failed);
    # one caller at a time, or two would start a server on the same port and the loser would
    # remove the winner's pid file on its way out
    exec 9>"$dir/ensure.lock"
    flock 9
    # 9>&-: the servers must not inherit the lock (they would hold it as long as they run)
    if [ "$cmd" = ensure-redis ]; then
        pid_alive "$dir/redis.pid" || start_redis 9>&-
    else
        pid_alive "$dir/mysql.pid" || start_mysql 9>&-
    fi
    ;;
hangup-redis) hangup_redis ;;
hangup-mysql) hangup_mysql ;;
*) echo "usage: $0 start|stop|urls|ensure-redis|ensure-mysql|stop-redis|start-redis|restart-redis|stop-mysql|start-mysql|hangup-redis|hangup-mysql|start-cluster|stop-cluster|move-slot|pause-cluster [dir]" >&2; exit 2 ;;
esac
