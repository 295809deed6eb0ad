#!/usr/bin/env bash
# Replication figures of issue #4, on loopback, N rounds (default 3):
#
#   bench/replication.sh [--rounds N] [--cases C] [--lag-seconds S] [--build DIR]
#
# Each round runs brankas-repl-bench on a fresh directory (a unit vault, a
# central node and a shipper in one process, mutual TLS, fsync on both sides):
# a backlog of C creates while the central node is down, the catch-up, a restore
# of the unit from the central node, then creates paced at 1,000/s with the lag
# of each until the central node acknowledged it. One JSON line per phase, then
# a Markdown table of medians. The catch-up is compared with the unit's own
# create rate measured in the same round (the backlog phase): above 1 the central
# node drains a backlog faster than the unit can write one. Synthetic data only.
# Takes about N x (C / 2,000 + S + 20) seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3; cases=100000; lag_seconds=20; build="$root/build/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --lag-seconds) lag_seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: bench/replication.sh [--rounds N] [--cases C] [--lag-seconds S] [--build DIR]" >&2; exit 2 ;;
  esac
done
bench="$build/tools/brankas-repl-bench"
[ -x "$bench" ] || bash "$root/deploy/build.sh" "$build"
work=$(mktemp -d /tmp/brankas-repl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results="$work/results.jsonl"
for round in $(seq 1 "$rounds"); do
  rm -rf "$work/r"
  "$bench" --dir "$work/r" --cases "$cases" --lag-seconds "$lag_seconds" --json 2>/dev/null |
    grep '^{' | sed "s/^{/{\"round\":$round,/" | tee -a "$results"
done
python3 - "$results" "$cases" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(phase, key):
    return statistics.median(r[key] for r in rows if r["phase"] == phase)
unit = med("backlog", "creates_per_s")
print()
print(f"| measure ({sys.argv[2]} cases, medians of {len([r for r in rows if r['phase']=='lag'])} rounds) | value | target |")
print("|---|---|---|")
print(f"| unit creates/s while the central node is down (comparison) | {unit:,.0f} | |")
print(f"| catch-up: creates/s | {med('catchup','creates_per_s'):,.0f} ({med('catchup','creates_per_s')/unit:.2f}x the unit's own rate) | 20,000 changes/s |")
print(f"| catch-up: changelog entries/s, MB/s | {med('catchup','entries_per_s'):,.0f}, {med('catchup','mb_per_s'):.0f} | |")
print(f"| restore of the unit: seconds (records, MB) | {med('restore','seconds'):.1f} ({med('restore','records'):,.0f}, {med('restore','mb'):.0f}) | < 60 s |")
print(f"| lag at 1,000 creates/s: p50 / p99 / max ms | {med('lag','p50_ms'):.1f} / {med('lag','p99_ms'):.1f} / {med('lag','max_ms'):.1f} | p99 < 1,000 ms |")
PY
