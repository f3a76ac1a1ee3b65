#!/usr/bin/env bash
# A fuzz campaign of fuzz_report outside CI: MINUTES of fuzzing (default 60) from the seeds and
# a working corpus kept outside the tree (it grows from one campaign to the next), under nice.
# A crash does not end the campaign: its input is kept, the fuzzer restarts on the same corpus
# until the time is spent (at most 5 crashes). Prints at the end: executions, exec/s (wall and
# per CPU-second), cov and ft, corpus size, the load average, and each crash with the command
# that replays it.
#   bench/fuzz_campaign.sh [MINUTES] [WORK_DIR]
# WORK_DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/kmodscope/fuzz_report (corpus/, crashes/,
# log-N.txt). The ASan+UBSan fuzz build is build-asan (KMS_BUILD_DIR to change), configured as
# scripts/test does it; the fuzzer and its seeds are built here if needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-60}
work=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/kmodscope/fuzz_report}
build=${KMS_BUILD_DIR:-$root/build-asan}
max_crashes=5

fuzzer=$build/tests/fuzz_report
seeds=$build/tests/fuzz_report_seeds
[ -f "$build/CMakeCache.txt" ] && nice -n 10 cmake --build "$build" -j "$(nproc)" --target fuzz_report fuzz_report_seeds >/dev/null
if [ ! -x "$fuzzer" ] || [ ! -d "$seeds" ]; then
    echo "fuzz_campaign: no fuzz build in $build; configure one as scripts/test does:" >&2
    echo "  CC=clang CXX=clang++ cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Debug \\" >&2
    echo "      -DKMS_SANITIZE=ON -DKMS_FUZZ=ON -DKMS_BUILD_GUI=OFF -DKMS_BUILD_BENCH=OFF" >&2
    exit 2
fi
max_len=$(sed -n 's/^ *set(kms_fuzz_report_max_len \([0-9]*\)).*/\1/p' "$root/tests/fuzz/report.cmake")

mkdir -p "$work/corpus" "$work/crashes"
rm -f "$work"/log-*.txt
end=$(($(date +%s) + minutes * 60))
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
execs=0 cpu=0 crashes=0 segment=0
last_stats=""
while :; do
    left=$((end - $(date +%s)))
    [ "$left" -gt 5 ] || break
    segment=$((segment + 1))
    log=$work/log-$segment.txt
    status=0
    # ASan's leak check stays on: a leak in the engine is a finding like any other.
    /usr/bin/time -f '%U %S' -o "$work/time" nice -n 10 "$fuzzer" -max_total_time="$left" -max_len="$max_len" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict="$root/tests/fuzz/report.dict" \
        -artifact_prefix="$work/crashes/" "$work/corpus" "$seeds" >"$log" 2>&1 || status=$?
    read -r user sys <"$work/time"
    cpu=$(awk -v a="$cpu" -v u="$user" -v s="$sys" 'BEGIN { print a + u + s }')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$runs" ]; then
        # Killed before its final stats (a crash prints none): the last status line counts.
        runs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    fi
    execs=$((execs + ${runs:-0}))
    stats=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[bKMG]?b' "$log" | tail -1 || true)
    [ -n "$stats" ] && last_stats=$stats
    [ "$status" -eq 0 ] && break
    artifact=$(sed -n 's/^artifact_prefix=.*; Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ -z "$artifact" ]; then
        echo "fuzz_campaign: the fuzzer failed without a crash input (exit $status):" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    crashes=$((crashes + 1))
    echo "crash $crashes: $artifact (log: $log)"
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal' "$log" | sed 's/^/  /' || true
    [ "$crashes" -lt "$max_crashes" ] || break
done

rm -f "$work/time"
elapsed=$((minutes * 60 - (end - $(date +%s))))
awk -v n="$execs" -v c="$cpu" -v w="$elapsed" -v s="$last_stats" -v k="$crashes" -v l1="$load_start" \
    -v l2="$(cut -d' ' -f1-3 /proc/loadavg)" -v d="$work" 'BEGIN {
    printf "fuzz_report campaign: %d s, %d executions, %.0f exec/s wall, %.0f exec/cpu-s (%.0f cpu-s)\n",
           w, n, n / (w > 0 ? w : 1), n / (c > 0 ? c : 1), c
    printf "  %s\n  crashes: %d   load average at start %s, at end %s\n  corpus: %s/corpus\n",
           s, k, l1, l2, d
}'
if [ "$crashes" -gt 0 ]; then
    echo "  replay one: $fuzzer $work/crashes/<file>"
    exit 1
fi
