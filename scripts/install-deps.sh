#!/usr/bin/env bash
# Installs every Debian 12 package wsc needs to build, test and run its demo.
# Idempotent: when everything is present it returns in well under a second.
set -euo pipefail

pkgs=(
    build-essential cmake pkg-config git ca-certificates
    libwebsockets-dev libwebsockets-evlib-ev libev-dev libjansson-dev libjwt-dev libhiredis-dev
    default-libmysqlclient-dev libcmocka-dev libssl-dev
    clang libclang-rt-14-dev clang-format curl python3 python3-websockets gcovr
    prometheus
    redis-server mariadb-server
)
# prometheus (with promtool): the ops.prometheus test scrapes wsc-hub with the real server and
# checks docs/alerts/wsc-rules.yml; without it that test is skipped ("Not Run").
# Node.js with npm: Debian's nodejs + npm, unless a node and npm are already there (a
# nodesource nodejs carries its own npm and conflicts with Debian's npm package).
node_pkgs=()
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || node_pkgs=(nodejs npm)
if [ "${1:-}" = "--bench" ]; then
    pkgs+=("${node_pkgs[@]}" gnuplot-nox linux-perf)
fi
# The interop tests (tests/interop) run Node's ws and headless Chromium; without them those
# tests are skipped (ctest counts them as "Not Run").
if [ "${1:-}" = "--interop" ]; then
    pkgs+=("${node_pkgs[@]}" chromium)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
