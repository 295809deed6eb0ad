#!/usr/bin/env bash
# Brankas beside its peers, measured in one run on the same machine and disk:
#
#   (a) PostgreSQL 15 + pgcrypto: a "case create" transaction (a case row with six
#       pgp_sym_encrypt'ed columns + an audit row, fsync=on, synchronous_commit=on),
#       driven by pgbench against a private, throw-away cluster;
#   (b) raw RocksDB: db_bench fillrandom --sync=1, 1 KiB values (as bench/engine.sh);
#   (c) Brankas over HTTPS: brankasd --dev and brankas-bench --server, create and read.
#
#   bench/compare-peers.sh [--seconds S] [--concurrency N] [--rounds R] [--build-dir DIR]
#                          [--out FILE] [--update-docs] [--docs-file FILE] [--tmp DIR]
#                          [--skip-postgres] [--skip-dbbench] [--skip-brankas] [--with-pg-variants]
#
# Each system is measured R times, interleaved (round 1 of each, then round 2 of each...),
# because this VM's fsync latency drifts within minutes: only measurements taken side by
# side are comparable. Prints the raw tool output, a table of medians with the ratio
# Brankas create / PostgreSQL create (target >= 5x) and one JSON line per system; writes
# the raw log to --out and, with --update-docs, the marked section of docs/BENCHMARKS.md.
# Synthetic data only. Installs missing Debian packages (postgresql, postgresql-contrib,
# rocksdb-tools) with apt-get when run as root. Takes about R x (4 x S + 40) seconds
# (+ 2 x S with --with-pg-variants).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
peers="$root/bench/peers"
# shellcheck source=peers/db_bench.sh source-path=SCRIPTDIR
source "$peers/db_bench.sh"

# The exact command line, to print beside the results.
cmdline="bash bench/compare-peers.sh$(printf ' %q' "$@")"

seconds=20 concurrency=64 rounds=3 build_dir=build out="" update_docs=0
docs_file="$root/docs/BENCHMARKS.md" tmp_parent=${TMPDIR:-/var/tmp}
skip_postgres=0 skip_dbbench=0 skip_brankas=0 with_pg_variants=0
pg_version=${PG_VERSION:-15}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?}; shift 2 ;;
    --concurrency) concurrency=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --build-dir) build_dir=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --update-docs) update_docs=1; shift ;;
    --docs-file) docs_file=${2:?}; shift 2 ;;   # for trying --update-docs on a copy
    --tmp) tmp_parent=${2:?}; shift 2 ;;        # where the databases live (must be a real disk)
    --skip-postgres) skip_postgres=1; shift ;;
    --skip-dbbench) skip_dbbench=1; shift ;;
    --skip-brankas) skip_brankas=1; shift ;;
    # Also the PostgreSQL transaction unencrypted, and with pgcrypto's key stretching off.
    --with-pg-variants) with_pg_variants=1; shift ;;
    -h|--help) usage ;;
    *) echo "compare-peers: unknown option $1" >&2; usage ;;
  esac
done
for v in seconds concurrency rounds; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "compare-peers: --$v must be a positive integer" >&2; exit 2; }
done
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
today=$(date -u +%F)
[ -n "$out" ] || out="$root/docs/bench-peers-$today.txt"
mkdir -p "$(dirname "$out")"
: >"$out"

die() { echo "compare-peers: $*" | tee -a "$out" >&2; exit 1; }
say() { printf '%s\n' "$*" | tee -a "$out"; }

# ---------------------------------------------------------------- cleanup
# Everything this run starts is recorded here, so that the EXIT trap (also reached on
# Ctrl-C and TERM, through the INT/TERM traps) stops exactly those processes and removes
# the temporary directory. Nothing is killed by name.
work="" pg_data="" pg_running=0 brankasd_pid="" child_pid=""

# The postgres server refuses to run as root: as root, its commands run as user postgres.
as_postgres=()
[ "$(id -u)" -ne 0 ] || as_postgres=(runuser -u postgres --)

stop_brankasd() {
  [ -n "$brankasd_pid" ] || return 0
  kill -TERM "$brankasd_pid" 2>/dev/null || true
  # It drains on SIGTERM; give it 30 s, then SIGKILL.
  local i
  for ((i = 0; i < 150; i++)); do kill -0 "$brankasd_pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$brankasd_pid" 2>/dev/null || true
  wait "$brankasd_pid" 2>/dev/null || true
  brankasd_pid=""
}

stop_postgres() {
  [ "$pg_running" -eq 1 ] || return 0
  timeout 60 "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_data" stop -m fast -w -t 30 >/dev/null 2>&1 ||
    timeout 30 "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_data" stop -m immediate -w -t 20 >/dev/null 2>&1 || true
  # Last resort, this cluster's own postmaster only (its pid is the first line of postmaster.pid).
  if [ -f "$pg_data/postmaster.pid" ]; then
    kill -KILL "$(head -n1 "$pg_data/postmaster.pid")" 2>/dev/null || true
  fi
  pg_running=0
}

cleanup() {
  local rc=$?
  # Bounded (every step has a timeout) and not interruptible, so that it always finishes.
  trap '' INT TERM HUP
  trap - EXIT
  if [ -n "$child_pid" ]; then
    # timeout(1) passes the TERM on to the benchmark tool it runs.
    kill -TERM "$child_pid" 2>/dev/null || true
    wait "$child_pid" 2>/dev/null || true
  fi
  stop_brankasd
  stop_postgres
  if [ -n "$work" ] && [ -d "$work" ]; then rm -rf "$work"; fi
  [ "$rc" -eq 0 ] || echo "compare-peers: stopped (exit $rc)${work:+; its processes stopped, $work removed}" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# run_bounded LIMIT_S OUTFILE CMD...: CMD under timeout(1), stdout+stderr to OUTFILE. In the
# background and waited for, because bash runs a trap only after a foreground child ends,
# and timeout(1) puts itself in its own process group, where Ctrl-C does not reach it.
run_bounded() {
  local limit=$1 outfile=$2 rc=0
  shift 2
  timeout --kill-after=15 "$limit" "$@" >"$outfile" 2>&1 &
  child_pid=$!
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}

# ---------------------------------------------------------------- prerequisites
pg_bin="/usr/lib/postgresql/$pg_version/bin"
pg_lib="/usr/lib/postgresql/$pg_version/lib"

missing=()
command -v python3 >/dev/null || missing+=(python3)
if [ "$skip_postgres" -eq 0 ]; then
  # Debian 12: pgcrypto and pgbench ship in postgresql-15 itself; postgresql-contrib is
  # the (meta)package that promises them, so both are asked for.
  [ -x "$pg_bin/postgres" ] && [ -x "$pg_bin/pgbench" ] || missing+=(postgresql postgresql-contrib)
  [ -f "$pg_lib/pgcrypto.so" ] || missing+=(postgresql-contrib)
  command -v openssl >/dev/null || missing+=(openssl)
fi
if [ "$skip_dbbench" -eq 0 ]; then db_bench_bin >/dev/null || missing+=(rocksdb-tools); fi
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install them, or run as root)"
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq
  timeout 1200 apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "$skip_brankas" -eq 0 ]; then
  brankasd="$build_dir/tools/brankasd" brankas_bench="$build_dir/tools/brankas-bench"
  for b in "$brankasd" "$brankas_bench"; do
    [ -x "$b" ] || die "$b is not built (build it, point --build-dir at it, or pass --skip-brankas)"
  done
fi

work=$(mktemp -d "$tmp_parent/brankas-peers.XXXXXX")
# Disk-backed temporary directory: on tmpfs an fsync costs nothing and every figure is void.
fs_type=$(findmnt -n -o FSTYPE --target "$work" 2>/dev/null || stat -f -c %T "$work")
[ "$fs_type" != tmpfs ] || die "$tmp_parent is tmpfs; pass --tmp DIR on a real disk"
results="$work/results.jsonl"

# ---------------------------------------------------------------- the machine
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%F %H:%M UTC')
say "# compare-peers, $started"
say "command: $cmdline"
say "machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r), $fs_type at $tmp_parent, load average $load"
say "seconds=$seconds concurrency=$concurrency rounds=$rounds"
# Share of all CPUs busy over an interval, from /proc/stat (user..steal vs idle+iowait).
cpu_sample() { awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat; }
cpu_busy_since() {  # cpu_busy_since "BUSY IDLE" -> percent busy since that sample
  local b0 i0 b1 i1
  read -r b0 i0 <<<"$1"
  read -r b1 i1 <<<"$(cpu_sample)"
  echo $(( (b1 - b0) * 100 / (b1 - b0 + i1 - i0 + 1) ))
}
# Someone else's build or test running now would make every figure low: look for 3 s.
s0=$(cpu_sample); sleep 3; busy_before=$(cpu_busy_since "$s0")
say "CPU busy before the run: $busy_before% (over 3 s)"
[ "$busy_before" -lt 20 ] ||
  say "WARNING: the machine is already busy ($busy_before% CPU); the figures will be low and noisy"

# ---------------------------------------------------------------- (a) PostgreSQL
pg_port="" pg_key=""
psql_bench() {
  timeout 120 "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"
}

start_postgres() {
  local pg_root="$work/pg" run="$work/pg/run"
  pg_data="$pg_root/data"
  # The postgres user must reach its directories inside our private temporary directory.
  chmod 711 "$work"
  install -d -m 700 "$pg_root" "$run"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pg_root" "$run"
  timeout 120 "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-locale \
    >"$run/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$run/initdb.log")"
  # TLS, as Brankas' API is HTTPS: a throw-away self-signed certificate.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$run/server.key" -out "$run/server.crt" >/dev/null 2>&1
  chmod 600 "$run/server.key"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$run/server.key" "$run/server.crt"
  # A free TCP port on loopback (the kernel picks it; the tiny race is harmless here).
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Durability as Brankas has it: every commit fsync'd before it is acknowledged. Everything
  # else stays at Debian's defaults.
  cat >>"$pg_data/postgresql.conf" <<EOF

# bench/compare-peers.sh
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$run'
max_connections = $((concurrency + 16))
fsync = on
synchronous_commit = on
full_page_writes = on
ssl = on
ssl_cert_file = '$run/server.crt'
ssl_key_file = '$run/server.key'
EOF
  pg_running=1   # from here on, cleanup stops it
  timeout 90 "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$run/postgres.log" -w -t 60 start \
    >/dev/null 2>&1 ||
    die "PostgreSQL did not start: $(tail -n 5 "$run/postgres.log" 2>/dev/null)"
  export PGSSLMODE=require PGCONNECT_TIMEOUT=10
  psql_bench -d postgres -c 'CREATE DATABASE bench'
  psql_bench -d bench -f "$peers/pg-schema.sql"
  psql_bench -d bench -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', pgcrypto ' || extversion
                            || ', ' || (SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings
                                        WHERE name IN ('fsync','synchronous_commit','wal_sync_method','shared_buffers','ssl'))
                          FROM pg_extension WHERE extname = 'pgcrypto'" -t -A | tee -a "$out"
  # One synthetic key for the run, passed to every transaction as a parameter (-D key=...),
  # as an application holding the key would send it.
  pg_key=$(openssl rand -hex 32)
}

# measure_postgres ROUND SYSTEM SCRIPT
measure_postgres() {
  local round=$1 system=$2 script=$3 log="$work/pgbench-$1-$2" jobs=2 tps fields s0 busy
  [ "$concurrency" -ge 2 ] || jobs=1
  # Same starting point every round: empty tables, nothing dirty in shared buffers.
  psql_bench -d bench -c 'TRUNCATE audit, cases RESTART IDENTITY' -c 'CHECKPOINT'
  timeout 120 sync || true   # start from a quiet disk: no dirty pages of the previous system
  local cmd=("$pg_bin/pgbench" -n -M prepared -c "$concurrency" -j "$jobs" -T "$seconds"
             -f "$script" -D "key=$pg_key" -l --log-prefix="$log"
             -h 127.0.0.1 -p "$pg_port" -U postgres bench)
  say ""
  say "## round $round: $system (PGSSLMODE=require)"
  say "\$ ${cmd[*]/key=$pg_key/key=<random 256-bit hex>}"
  s0=$(cpu_sample)
  run_bounded $((seconds + 120)) "$log.out" "${cmd[@]}" || { cat "$log.out" >>"$out"; die "pgbench failed: $(tail -n 5 "$log.out")"; }
  busy=$(cpu_busy_since "$s0")
  tee -a "$out" <"$log.out"
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log.out")
  [ -n "$tps" ] || die "no 'tps = N (without initial connection time)' line in pgbench's output"
  if grep -Eq '^number of failed transactions: [1-9]' "$log.out"; then die "pgbench reported failed transactions"; fi
  # Per-transaction latencies (-l): files $log.PID and $log.PID.THREAD.
  fields=$(python3 "$peers/summarize.py" pglat "$log".[0-9]*)
  rm -f "$log".[0-9]*
  # The rows written stay until the next round's TRUNCATE; checkpoint now so that PostgreSQL
  # does not write in the background while the next system is measured.
  psql_bench -d bench -c 'CHECKPOINT'
  echo "{\"ops_per_s\":$tps,\"seconds\":$seconds,$fields,\"cpu_busy_pct\":$busy}" |
    python3 "$peers/summarize.py" tag --round "$round" --system "$system" --workload case-create \
      --set "concurrency=$concurrency" | tee -a "$results" "$out"
}

# ---------------------------------------------------------------- (b) db_bench
measure_dbbench() {
  local round=$1 db="$work/rocksdb-$1" fields s0 busy
  # As bench/engine.sh (peers/db_bench.sh holds the shared flags), with one thread per
  # client of the other systems, stopped by time: --duration, checked after every op
  # (by default every 1000 ops per thread: ~10 s late at 64 threads on a slow disk);
  # --num is then only the key space. --histogram for p50/p99.
  local cmd=("$(db_bench_bin)" "${DB_BENCH_SYNCED_FLAGS[@]}" --threads="$concurrency" --db="$db"
             --duration="$seconds" --ops_between_duration_checks=1 --num=10000000 --histogram=1)
  timeout 120 sync || true   # start from a quiet disk: no dirty pages of the previous system
  say ""
  say "## round $round: db_bench"
  say "\$ ${cmd[*]}"
  s0=$(cpu_sample)
  run_bounded $((seconds + 120)) "$work/db_bench.out" "${cmd[@]}" ||
    { cat "$work/db_bench.out" >>"$out"; die "db_bench failed: $(tail -n 5 "$work/db_bench.out")"; }
  # The summary and percentiles, not the histogram's buckets.
  grep -E '^(RocksDB:|Date:|CPU:|Keys:|Values:|Entries:|WARNING|fillrandom|Count:|Min:|Percentiles:)' \
    "$work/db_bench.out" | tee -a "$out"
  busy=$(cpu_busy_since "$s0")
  fields=$(db_bench_fields <"$work/db_bench.out")
  rm -rf "$db"
  echo "{$fields,\"cpu_busy_pct\":$busy}" |
    python3 "$peers/summarize.py" tag --round "$round" --system db_bench --workload fillrandom \
      --set "concurrency=$concurrency" | tee -a "$results" "$out"
}

# ---------------------------------------------------------------- (c) Brankas over HTTPS
measure_brankas() {
  local round=$1 dir="$work/brankas-$1" url="" creds w i s0 busy
  # A fresh dev node per round, started outside the measured time. It prints
  # "ready https://127.0.0.1:PORT" once it serves, and dev-credentials.json beside its data.
  say ""
  say "## round $round: brankasd --dev --data-dir $dir --listen 127.0.0.1:0"
  "$brankasd" --dev --data-dir "$dir" --listen 127.0.0.1:0 >"$dir.stdout" 2>"$dir.stderr" &
  brankasd_pid=$!
  for ((i = 0; i < 300; i++)); do   # 300 x 0.2 s = 60 s
    url=$(sed -n 's/^ready \(https:\/\/.*\)$/\1/p' "$dir.stdout" | head -n1)
    [ -z "$url" ] || break
    kill -0 "$brankasd_pid" 2>/dev/null || die "brankasd exited before it was ready: $(tail -n 5 "$dir.stderr")"
    sleep 0.2
  done
  [ -n "$url" ] || die "brankasd not ready after 60 s: $(tail -n 5 "$dir.stderr")"
  creds="$dir/dev-credentials.json"
  [ -f "$creds" ] || die "brankasd is ready but $creds is missing"
  say "ready $url"
  for w in create read; do
    local cmd=("$brankas_bench" --workload "$w" --concurrency "$concurrency" --seconds "$seconds"
               --server "$url" --credentials "$creds" --json)
    timeout 120 sync || true
    say ""
    say "## round $round: brankas $w"
    say "\$ ${cmd[*]}"
    # Generous limit: a read run may first create the cases it reads.
    s0=$(cpu_sample)
    run_bounded $((seconds * 3 + 180)) "$work/brankas-bench.out" "${cmd[@]}" ||
      { cat "$work/brankas-bench.out" >>"$out"; die "brankas-bench $w failed: $(tail -n 5 "$work/brankas-bench.out")"; }
    busy=$(cpu_busy_since "$s0")
    tee -a "$out" <"$work/brankas-bench.out"
    python3 "$peers/summarize.py" tag --round "$round" --system brankas --workload "$w" \
      --set "cpu_busy_pct=$busy" <"$work/brankas-bench.out" |
      tee -a "$results" "$out"
  done
  stop_brankasd
  # Its log, without the access log (one line per request, thousands per run).
  say "brankasd log: $(grep -c ' request id=' "$dir.stderr" || true) request lines, the rest:"
  grep -v ' request id=' "$dir.stderr" | head -n 100 >>"$out" || true
  rm -rf "$dir" "$dir.stdout" "$dir.stderr"
}

# ---------------------------------------------------------------- the rounds
[ "$skip_postgres" -eq 1 ] || start_postgres
for round in $(seq 1 "$rounds"); do
  if [ "$skip_postgres" -eq 0 ]; then
    measure_postgres "$round" postgres "$peers/pg-case-create.pgbench"
    if [ "$with_pg_variants" -eq 1 ]; then
      measure_postgres "$round" postgres-s2k1 "$peers/pg-case-create-s2k1.pgbench"
      measure_postgres "$round" postgres-plain "$peers/pg-case-create-plain.pgbench"
    fi
  fi
  [ "$skip_dbbench" -eq 1 ] || measure_dbbench "$round"
  [ "$skip_brankas" -eq 1 ] || measure_brankas "$round"
done
stop_postgres
[ -s "$results" ] || die "nothing measured (everything skipped?)"

# ---------------------------------------------------------------- the table
case "$out" in "$root"/*) log_rel=${out#"$root"/} ;; *) log_rel=$out ;; esac
report=(python3 "$peers/summarize.py" report --results "$results" --cmd "$cmdline" --date "$started"
        --nproc "$(nproc)" --cpu "${cpu:-unknown CPU}" --kernel "$(uname -r)" --fs "$fs_type"
        --load "$load, CPU $busy_before% busy in the 3 s before" --log "$log_rel"
        --seconds "$seconds" --concurrency "$concurrency" --rounds "$rounds")
[ "$update_docs" -eq 0 ] || report+=(--update-docs "$docs_file")
say ""
"${report[@]}" | tee -a "$out"
echo "raw log: $out" >&2
