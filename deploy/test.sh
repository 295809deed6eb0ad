#!/usr/bin/env bash
# Installs every dependency (Debian packages), builds, and runs every test:
# first the normal build, then the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer. `--quick` skips the sanitizer pass;
# `--tsan` adds a ThreadSanitizer pass (not in CI: slow).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0; tsan=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --tsan) tsan=1 ;;
    *) echo "usage: deploy/test.sh [--quick] [--tsan]" >&2; exit 2 ;;
  esac
done

# Every phase line carries the time since the script started (bash's
# SECONDS), so a CI log shows where its budget (90 minutes on 2 cores) goes.
phase() { echo "== [$((SECONDS / 60))m$((SECONDS % 60))s] $*"; }

bash "$root/deploy/install-deps.sh"
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
  local name=$1 dir=$2; shift 2
  phase "$name: build"
  bash "$root/deploy/build.sh" "$dir" "$@"
  phase "$name: tests"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
  phase "$name: done"
}

# The sanitizer builds compile at -O1 -g1 (line tables are all a report
# needs): about half the compile time of -O2 -g, and still fast enough to run
# the whole suite. They skip the benchmark programs, which no test runs.
sanitizer_flags=(-DBRANKAS_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

phase "dependencies installed"
run_suite "release" "$root/build/release"
if [ "$quick" -eq 0 ]; then
  # halt_on_error: a sanitizer finding fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite "asan+ubsan" "$root/build/asan" -DBRANKAS_SANITIZE=address "${sanitizer_flags[@]}"
fi
if [ "$tsan" -eq 1 ]; then
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  run_suite "tsan" "$root/build/tsan" -DBRANKAS_SANITIZE=thread "${sanitizer_flags[@]}"
fi
phase "all test suites passed"
