# shellcheck shell=bash
# Raw synced RocksDB puts with Debian's db_bench: the flags and the parsing that
# bench/engine.sh and bench/compare-peers.sh share. Source it; it defines functions only.
#
#   db_bench_fillrandom DB_DIR THREADS [EXTRA_FLAGS...]   runs, prints db_bench's output
#   db_bench_fields < OUTPUT                              prints `"ops_per_s":N,"micros_per_op":M`
#                                                         (+ `,"ops":..,"seconds":..` and, with
#                                                         --histogram=1, `,"p50_ms":..,"p99_ms":..`)

# The one definition of "raw synced RocksDB put" used for every comparison in this repo:
# fillrandom (random keys, one Put per op), each write fsync'd before it returns (RocksDB's
# own group commit merges concurrent writers), 1 KiB values, db_bench's default 16-byte keys
# and snappy-compressible values.
DB_BENCH_SYNCED_FLAGS=(--benchmarks=fillrandom --sync=1 --value_size=1024)

# Debian's rocksdb-tools installs /usr/bin/db_bench; some builds call it rocksdb_db_bench.
db_bench_bin() {
  command -v db_bench 2>/dev/null || command -v rocksdb_db_bench 2>/dev/null || return 1
}

db_bench_fillrandom() {
  local db=$1 threads=$2 bin
  shift 2
  bin=$(db_bench_bin) || { echo "db_bench not found (Debian package rocksdb-tools)" >&2; return 1; }
  "$bin" "${DB_BENCH_SYNCED_FLAGS[@]}" --threads="$threads" --db="$db" "$@" 2>&1
}

# The summary line looks like
#   fillrandom   :     218.110 micros/op 4585 ops/sec 8.0 seconds 36000 operations;    4.5 MB/s
# and, with --histogram=1, a later line
#   Percentiles: P50: 1234.56 P75: ... P99: 5678.90 P99.9: ... P99.99: ...
# (microseconds; with several threads, the merged histogram of all of them).
db_bench_fields() {
  awk '
    /^fillrandom[ \t]*:/ { micros = $3; ops_s = $5; secs = $7; ops = $9; seen = 1 }
    /^Percentiles:/      { for (i = 1; i < NF; i++) { if ($i == "P50:") p50 = $(i + 1); if ($i == "P99:") p99 = $(i + 1) } }
    END {
      if (!seen) { print "db_bench_fields: no fillrandom summary line" > "/dev/stderr"; exit 1 }
      printf "\"ops_per_s\":%s,\"micros_per_op\":%s", ops_s, micros
      if (secs != "" && ops != "") printf ",\"ops\":%s,\"seconds\":%s", ops, secs
      if (p50 != "" && p99 != "") printf ",\"p50_ms\":%.3f,\"p99_ms\":%.3f", p50 / 1000, p99 / 1000
      printf "\n"
    }'
}
