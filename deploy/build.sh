#!/usr/bin/env bash
# Configures and builds Brankas into a build directory.
#   deploy/build.sh [BUILD_DIR] [extra cmake -D options...]
# Defaults: build/release, RelWithDebInfo, tests on, warnings as errors, and a
# unity build (a few sources per compiler run: each parses Boost, CLI11 and
# nlohmann::json once per batch, not once per file; about 3x less compile time
# for the command line). Pass -DCMAKE_UNITY_BUILD=OFF for per-file builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-"$root/build/release"}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRANKAS_BUILD_TESTS=ON -DBRANKAS_WERROR=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
