#!/usr/bin/env bash
# Starts throw-away redis-server and mariadbd on 127.0.0.1 (free ports, data under $TMPDIR)
# for the storage tests, or stops them.
#   scripts/services.sh start [dir]   prints  export WSC_TEST_REDIS_URL=... WSC_TEST_MYSQL_URL=...
#   scripts/services.sh stop  [dir]
#   scripts/services.sh restart-redis|stop-redis|start-redis|stop-mysql|start-mysql [dir]
#   scripts/services.sh hangup-redis|hangup-mysql [dir]   the server closes every client
#                                                          connection (it stays up)
# dir defaults to $TMPDIR/wsc-services (one set of services per dir).
set -euo pipefail

cmd=${1:-start}
dir=${2:-${TMPDIR:-/tmp}/wsc-services}
here=$(cd "$(dirname "$0")" && pwd)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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

stop_pidfile() {
    local f=$1
    [ -f "$f" ] || return 0
    local pid; pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
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
    mariadbd --no-defaults --user=root --datadir="$dir/mysql" --socket="$dir/mysql.sock" \
        --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysql.pid" \
        --skip-name-resolve --innodb-buffer-pool-size=64M >"$dir/mysql.log" 2>&1 &
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
}

case "$cmd" in
start)
    "$here/install-deps.sh" >&2
    mkdir -p "$dir"
    start_redis
    start_mysql
    urls
    ;;
stop)
    stop_pidfile "$dir/redis.pid"
    stop_pidfile "$dir/mysql.pid"
    rm -rf "$dir"
    ;;
urls) urls ;;
stop-redis) stop_pidfile "$dir/redis.pid" ;;
start-redis) start_redis ;;
restart-redis) stop_pidfile "$dir/redis.pid"; start_redis ;;
stop-mysql) stop_pidfile "$dir/mysql.pid" ;;
start-mysql) start_mysql ;;
hangup-redis) hangup_redis ;;
hangup-mysql) hangup_mysql ;;
*) echo "usage: $0 start|stop|urls|stop-redis|start-redis|restart-redis|stop-mysql|start-mysql|hangup-redis|hangup-mysql [dir]" >&2; exit 2 ;;
esac
