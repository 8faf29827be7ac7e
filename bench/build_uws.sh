#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the uWebSockets baseline, bench/baseline_uws.cpp, into build/uws/baseline_uws from
# uWebSockets and uSockets sources kept outside the repo: $UWS_DIR if set (a checkout with
# uSockets in its uSockets/ subdirectory), else a clone in ${XDG_CACHE_HOME:-~/.cache}/wsc-bench/
# made on first use, with uSockets at the commit uWebSockets records for its submodule.
# UWS_GIT and USOCKETS_GIT override the clone URLs (e.g. local mirrors).  Rebuilds only when
# the binary is missing or older than the source; writes the commits to build/uws/commits.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v g++ >/dev/null; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -q
    $sudo apt-get install -y -q g++
fi

if [ -z "${UWS_DIR:-}" ]; then
    UWS_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/wsc-bench/uWebSockets
    if [ ! -d "$UWS_DIR" ]; then
        tmp=$UWS_DIR.tmp.$$
        rm -rf "$tmp"
        mkdir -p "$(dirname "$UWS_DIR")"
        git clone -q "${UWS_GIT:-https://github.com/uNetworking/uWebSockets}" "$tmp"
        sub=$(git -C "$tmp" ls-tree HEAD uSockets | awk '{print $3}')
        git clone -q --no-checkout "${USOCKETS_GIT:-https://github.com/uNetworking/uSockets}" \
            "$tmp/uSockets"
        git -C "$tmp/uSockets" checkout -q "$sub"
        mv "$tmp" "$UWS_DIR"
    fi
fi
US=$UWS_DIR/uSockets
if [ ! -f "$UWS_DIR/src/App.h" ] || [ ! -f "$US/src/libusockets.h" ]; then
    echo "build_uws: $UWS_DIR is not a uWebSockets checkout with uSockets/ filled in" >&2
    exit 1
fi

OUT=$PWD/build/uws
BIN=$OUT/baseline_uws
if [ ! -x "$BIN" ] || [ bench/baseline_uws.cpp -nt "$BIN" ]; then
    rm -rf "$OUT/obj"
    mkdir -p "$OUT/obj"
    # uSockets as its Makefile builds it (LTO included), without TLS
    (cd "$OUT/obj" && gcc -O3 -flto -std=c11 -DLIBUS_NO_SSL -I"$US/src" \
        -c "$US"/src/*.c "$US"/src/eventing/*.c "$US"/src/crypto/*.c)
    g++ -O3 -flto=auto -std=c++20 -DUWS_NO_ZLIB -DLIBUS_NO_SSL -I"$UWS_DIR/src" -I"$US/src" \
        bench/baseline_uws.cpp "$OUT"/obj/*.o -o "$BIN"
    rev() { git -C "$1" rev-parse HEAD 2>/dev/null || echo unknown; }
    printf '{"uws_commit":"%s","usockets_commit":"%s"}\n' "$(rev "$UWS_DIR")" "$(rev "$US")" \
        >"$OUT/commits.json"
fi
echo "build_uws: $BIN ($(cat "$OUT/commits.json"))"
