#!/usr/bin/env bash
# A/B of two builds of the engine benchmark, in alternating rounds.
#
#   bench/ab-engine.sh OLD_BENCH NEW_BENCH [--workload W] [--rounds N]
#                      [--seconds S] [--slow-fsync-us U]
#
# Runs `brankas-bench --workload W --concurrency 64 --seconds S` with OLD,
# then NEW, N times (default: create, 5 rounds, 8 s), each on a fresh data
# directory, prints one JSON line per measurement and then the medians and
# the per-round ratios NEW/OLD. This machine's speed drifts by 2x within the
# hour: compare within a run, and read the median ratio.
#
# --slow-fsync-us U makes every fsync/fdatasync of both runs U microseconds
# slower (an LD_PRELOAD shim built here with cc): what a change does on a
# slow disk, such as a unit office's, where this VM's fsync takes 0.2-0.4 ms.
#
# Build the old side from a commit with, for example:
#   git worktree add /tmp/base REV && cmake -S /tmp/base -B /tmp/base/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRANKAS_BUILD_TESTS=OFF -DCMAKE_UNITY_BUILD=ON &&
#   cmake --build /tmp/base/build --target brankas-bench
set -euo pipefail
usage() {
  echo "usage: bench/ab-engine.sh OLD_BENCH NEW_BENCH [--workload W] [--rounds N] [--seconds S] [--slow-fsync-us U]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
old=$1; new=$2; shift 2
workload=create; rounds=5; seconds=8; slow_us=0
while [ $# -gt 0 ]; do
  case "$1" in
    --workload) workload=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --slow-fsync-us) slow_us=$2; shift 2 ;;
    *) usage ;;
  esac
done
for b in "$old" "$new"; do [ -x "$b" ] || { echo "ab-engine: $b is not an executable" >&2; exit 2; }; done
work=$(mktemp -d /tmp/brankas-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
preload=()
if [ "$slow_us" -gt 0 ]; then
  cat >"$work/slow_fsync.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
static void delay(void) {
  static long us = -1;
  if (us < 0) { const char* e = getenv("BRANKAS_SLOW_FSYNC_US"); us = e ? atol(e) : 0; }
  if (us > 0) { struct timespec ts = {us / 1000000, (us % 1000000) * 1000}; nanosleep(&ts, 0); }
}
int fsync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fsync"); delay(); return real(fd); }
int fdatasync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fdatasync"); delay(); return real(fd); }
C
  cc -O2 -shared -fPIC -o "$work/slow_fsync.so" "$work/slow_fsync.c" -ldl
  preload=(env "BRANKAS_SLOW_FSYNC_US=$slow_us" "LD_PRELOAD=$work/slow_fsync.so")
fi
results="$work/results.jsonl"
for round in $(seq 1 "$rounds"); do
  for side in old new; do
    bin=$old; [ "$side" = new ] && bin=$new
    rm -rf "$work/vault"
    line=$("${preload[@]}" "$bin" --workload "$workload" --concurrency 64 --seconds "$seconds" \
             --data-dir "$work/vault" --json)
    echo "{\"round\":$round,\"side\":\"$side\",\"slow_fsync_us\":$slow_us,${line:1}" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
old = [r for r in rows if r["side"] == "old"]
new = [r for r in rows if r["side"] == "new"]
for name, xs in (("old", old), ("new", new)):
    print(f"{name}: ops/s {[round(r['ops_per_s']) for r in xs]}, "
          f"median {statistics.median(r['ops_per_s'] for r in xs):.0f}, "
          f"median p99 {statistics.median(r['p99_ms'] for r in xs):.1f} ms")
ratios = [n["ops_per_s"] / o["ops_per_s"] for o, n in zip(old, new)]
print(f"new/old per round {[round(x, 2) for x in ratios]}, median {statistics.median(ratios):.2f}")
PY
