#!/usr/bin/env bash
# Runs the links benchmarks from a build directory and prints their figures.
#   bench/link.sh [BUILD_DIR]   (default: build)
set -euo pipefail
build=${1:-build}
"$build/bench/bench_link_ssh" 100
"$build/bench/bench_link_serial" 50
