#!/usr/bin/env bash
# The Telemetry dock's figures in one run, under Xvfb with software rendering: the ingest alone
# (baseline), the dock on QCustomPlot (frames painted in the timer's pass, and the previous
# queued replot+paint) and on Qt Charts, the naive way on both; then the store's RSS after an
# hour at 8 x 10 kHz. Not niced: starved of CPU (a loaded machine), the frame rate and the
# latency measure the machine (the load average is printed with each figure).
#   bench/telemetry_dock.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-15}
bin="$build/bench/bench_telemetry_dock"
[ -x "$bin" ] || { echo "build the bench_telemetry_dock target first" >&2; exit 1; }
for mode in "--no-draw" "--backend qcustomplot" "--backend qcustomplot --queued-paint" "--backend charts" \
            "--backend qcustomplot --naive" "--backend charts --naive"; do
    # shellcheck disable=SC2086
    xvfb-run -a -s "-screen 0 1600x1000x24" "$bin" $mode --seconds "$seconds" --warmup 3 2>/dev/null
    echo
done
store="$build/bench/bench_telemetry_store"
if [ -x "$store" ]; then
    "$store" --channels 8 --rate 10000 --seconds 3600
else
    echo "build the bench_telemetry_store target for the memory figure" >&2
fi
