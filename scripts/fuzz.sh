#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (everything instrumented, ASan + UBSan)
# and runs each for SECONDS (default 60), two at a time, from the committed seeds into a
# throw-away corpus.  Any crash, leak, sanitizer report or oracle difference fails the run and
# leaves the input as build/fuzz/crash-*.  Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
dir=build/fuzz
# target:seed-folder:max-len[:dictionary]
all=(msg_parse:seeds:4096:json.dict cluster_env:seeds-env:512 jwt_claims:seeds-jwt:2048:json.dict
     client_frames:seeds-client:4096:json.dict config:seeds-config:4096:json.dict
     http_api:seeds-http:4096:json.dict)
want=("$@")
command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (bash scripts/install-deps.sh)"; exit 1; }
cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DWSC_BUILD_FUZZ=ON \
      -DWSC_BUILD_TESTS=OFF -DWSC_BUILD_BENCH=OFF -DWSC_BUILD_EXAMPLES=ON >/dev/null
targets=()
for spec in "${all[@]}"; do
    name=${spec%%:*}
    if [ ${#want[@]} -eq 0 ] || [[ " ${want[*]} " == *" $name "* ]]; then targets+=("$spec"); fi
done
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target $(for s in "${targets[@]}"; do printf 'fuzz_%s ' "${s%%:*}"; done)

run_one() { # spec -> runs one target, output in $dir/fuzz_NAME.log
    IFS=: read -r name seeds maxlen dict <<<"$1"
    local corpus work
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/wsc-fuzz-$name.XXXXXX")
    work="$PWD/$dir"
    local args=(-max_total_time="$secs" -max_len="$maxlen" -artifact_prefix="$work/crash-$name-"
                -print_final_stats=1)
    [ -n "${dict:-}" ] && args+=(-dict="tests/fuzz/$dict")
    if "$dir/tests/fuzz/fuzz_$name" "${args[@]}" "$corpus" "tests/fuzz/$seeds" >"$dir/fuzz_$name.log" 2>&1; then
        echo "fuzz_$name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$dir/fuzz_$name.log"), no crash"
        rm -rf "$corpus"
        return 0
    fi
    echo "fuzz_$name: FAILED (log $dir/fuzz_$name.log)"
    grep -E 'ERROR|SUMMARY|fuzz_' "$dir/fuzz_$name.log" | head -20
    rm -rf "$corpus"
    return 1
}

echo "== fuzz: ${#targets[@]} targets, ${secs} s each, two at a time"
status=0
pids=()
for spec in "${targets[@]}"; do
    run_one "$spec" & pids+=($!)
    if [ ${#pids[@]} -eq 2 ]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[1]}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ "$status" -eq 0 ] && echo "== fuzz: no crash" || echo "== fuzz: failures above"
exit "$status"
