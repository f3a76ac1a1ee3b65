#!/usr/bin/env bash
# Executions per CPU-second (and per wall second) of a libFuzzer target, corpus-seeded: a fixed
# number of runs from a fresh working corpus and the given seeds, with a fixed random seed.
# CPU seconds (user+sys of the fuzzer) are the figure to compare on a shared machine; the wall
# rate and the load average are printed with it.
#   bench/fuzz_rate.sh FUZZER SEED_DIR MAX_LEN RUNS [DICT] [label]
set -euo pipefail
fuzzer=$1 seeds=$2 max_len=$3 runs=$4 dict=${5:-} label=${6:-$(basename "$fuzzer")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(-runs="$runs" -seed=1 -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
[ -n "$dict" ] && args+=(-dict="$dict")
# Further libFuzzer flags to compare (e.g. FUZZ_FLAGS="-entropic=0").
read -r -a extra <<<"${FUZZ_FLAGS:-}"
args+=("${extra[@]}")
load=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$work/time" "$fuzzer" "${args[@]}" "$work" "$seeds" >"$work/log" 2>&1 || {
    tail -30 "$work/log"
    exit 1
}
end=$(date +%s.%N)
read -r user sys <"$work/time"
done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
corpus=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[bKM]b' "$work/log" | tail -1)
awk -v l="$label" -v n="$done_runs" -v u="$user" -v s="$sys" -v a="$start" -v b="$end" -v ld="$load" \
    -v c="$corpus" 'BEGIN { cpu = u + s; wall = b - a;
    printf "%-28s %7d runs  %6.1f cpu-s  %6.0f exec/cpu-s  %6.0f exec/s wall  load %s  %s\n",
           l, n, cpu, n / cpu, n / wall, ld, c }'
