#!/usr/bin/env bash
# Engine benchmark, measured in one run beside raw synced RocksDB puts.
#
#   bench/engine.sh [--rounds N] [--seconds S] [--build DIR]
#
# Alternates, N rounds (default 3):
#   db_bench --benchmarks=fillrandom --sync=1 --threads=8 --value_size=1024
#   brankas-bench --workload create|read|update|mixed --concurrency 64
# each on a fresh directory, prints one JSON line per measurement and a
# Markdown table of medians (and Brankas / db_bench ratios) at the end.
# Synthetic data only. Takes about N x (5 x S + 30) seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The synced-put flags and the parsing, shared with bench/compare-peers.sh.
# shellcheck source=peers/db_bench.sh source-path=SCRIPTDIR
source "$root/bench/peers/db_bench.sh"
rounds=3; seconds=10; build="$root/build/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: bench/engine.sh [--rounds N] [--seconds S] [--build DIR]" >&2; exit 2 ;;
  esac
done
bench="$build/tools/brankas-bench"
[ -x "$bench" ] || bash "$root/deploy/build.sh" "$build"
db_bench_bin >/dev/null || bash "$root/deploy/install-deps.sh"
work=$(mktemp -d /tmp/brankas-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
results="$work/results.jsonl"

for round in $(seq 1 "$rounds"); do
  rm -rf "$work/db"
  # db_bench's fillrandom with 8 threads, as many ops as it does in ~S seconds here.
  fields=$(db_bench_fillrandom "$work/db" 8 --num=$((1500 * seconds)) | db_bench_fields)
  echo "{\"round\":$round,\"system\":\"db_bench\",\"workload\":\"fillrandom sync=1 threads=8 value=1024\",$fields}" | tee -a "$results"
  for w in create read update mixed; do
    rm -rf "$work/vault"
    line=$("$bench" --workload "$w" --concurrency 64 --seconds "$seconds" --data-dir "$work/vault" --json)
    echo "{\"round\":$round,\"system\":\"brankas\",${line:1}" | tee -a "$results"
  done
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
db = statistics.median(r["ops_per_s"] for r in rows if r["system"] == "db_bench")
print()
print("| workload (concurrency 64) | median ops/s | median p50 ms | median p99 ms | ratio to db_bench |")
print("|---|---|---|---|---|")
print(f"| db_bench fillrandom, sync=1, 8 threads, 1 KiB | {db:,.0f} | | | 1.00 |")
for w in ["create", "read", "update", "mixed"]:
    rs = [r for r in rows if r["system"] == "brankas" and r["workload"] == w]
    ops = statistics.median(r["ops_per_s"] for r in rs)
    p50 = statistics.median(r["p50_ms"] for r in rs)
    p99 = statistics.median(r["p99_ms"] for r in rs)
    print(f"| brankas {w} | {ops:,.0f} | {p50:.1f} | {p99:.1f} | {ops/db:.2f} |")
print(f"\n{len(rows)} measurements, medians over the rounds; raw lines above.")
PY
