#!/usr/bin/env bash
# Fuzz the HTTPS API's request parsing (tests/fuzz/request_fuzz.cc) in one
# command: install clang if missing, build build-fuzz/ with libFuzzer + ASan +
# UBSan, run for a bounded time, say how to reproduce what it found.
#
#   tests/fuzz/run.sh [--seconds N] [-- extra libFuzzer flags...]
#
#   --seconds N   fuzzing time (default 300); the whole run is also killed at
#                 N + 300 s, whatever happens
#   -- ...        passed to libFuzzer as is, e.g. `-- -fork=1 -ignore_crashes=1`
#                 to keep going after a crash
#
# Seeds: tests/fuzz/corpus/ (read only). New corpus entries: build-fuzz/fuzz-corpus/request/.
# Crashes: build-fuzz/crashes/. Log: build-fuzz/fuzz-last.log.
# Every compile goes through flock $BRANKAS_BUILD_LOCK (default /tmp/brankas-build.lock)
# with $BRANKAS_BUILD_JOBS jobs (default 2). Not part of CI.
set -euo pipefail

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

seconds=300
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#--seconds=}"; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
  echo "run.sh: --seconds needs a positive number of seconds" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$root/build-fuzz"
lock="${BRANKAS_BUILD_LOCK:-/tmp/brankas-build.lock}"
jobs="${BRANKAS_BUILD_JOBS:-2}"
bin="$build/tests/fuzz/request_fuzz"
seeds="$root/tests/fuzz/corpus"
corpus="$build/fuzz-corpus/request"
crashes="$build/crashes"
scratch="$build/fuzz-tmp"   # TMPDIR of the fuzzer: its two vaults live here
log="$build/fuzz-last.log"

# --- 1. Toolchain: clang and its runtimes (libFuzzer, ASan, UBSan) from Debian.
missing=()
command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1 || missing+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" ||
  missing+=(libclang-rt-14-dev)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  echo "run.sh: installing ${missing[*]}"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
fi

# --- 2. Configure and build (through the shared build lock).
echo "run.sh: configuring $build"
CC=clang CXX=clang++ flock "$lock" cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRANKAS_FUZZ=ON -DBRANKAS_BUILD_TESTS=ON >/dev/null
echo "run.sh: building request_fuzz (waits for $lock; the first build takes a while)"
flock "$lock" cmake --build "$build" --target request_fuzz -j "$jobs"

# --- 3. Fuzz, bounded in time.
mkdir -p "$corpus" "$crashes"
rm -rf "$scratch"
mkdir -p "$scratch"
marker="$build/.fuzz-run-start"
touch "$marker"

export TMPDIR="$scratch"
export BRANKAS_SOURCE_DIR="$root"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]] && command -v llvm-symbolizer >/dev/null 2>&1; then
  export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer)"
fi

echo "run.sh: fuzzing for ${seconds}s (seeds $seeds, new corpus entries in $corpus)"
set +e
timeout --kill-after=30 "$((seconds + 300))" "$bin" \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -dict="$root/tests/fuzz/request.dict" \
  -artifact_prefix="$crashes/" -print_final_stats=1 \
  ${extra[@]+"${extra[@]}"} \
  "$corpus" "$seeds" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
rm -rf "$scratch"

# --- 4. Report.
echo
echo "run.sh: fuzzer exit status $status; log in $log"
grep -E '^#[0-9]+ +(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
mapfile -t found < <(find "$crashes" -maxdepth 1 -type f -newer "$marker" | sort)
rm -f "$marker"
if [[ ${#found[@]} -gt 0 ]]; then
  echo "run.sh: ${#found[@]} new artifact(s) (crash-/leak-/timeout-/oom-) in $crashes:"
  for f in "${found[@]}"; do echo "  $f"; done
  echo
  echo "To reproduce one (runs it once; prints each answer):"
  echo "  mkdir -p /tmp/brankas-fuzz-repro && TMPDIR=/tmp/brankas-fuzz-repro BRANKAS_FUZZ_VERBOSE=1 \\"
  echo "    $bin ${found[0]}"
  echo "  xxd ${found[0]} | head -40    # the input"
  echo "The input goes to the vault its hash picks (1 in 64: the unsealed one); to force one, set"
  echo "BRANKAS_FUZZ_VAULT=sealed or =unsealed. The unsealed vault keeps state across inputs, so a"
  echo "failure there may need the inputs that ran before it: then re-run with the corpus"
  echo "(\`$bin -runs=0 $corpus $seeds\`) or minimize with \`$bin -minimize_crash=1 -runs=10000 <file>\`."
  exit 1
fi
if [[ "$status" -ne 0 ]]; then
  echo "run.sh: the fuzzer failed without leaving an artifact; see $log" >&2
  exit "$status"
fi
echo "run.sh: no crash. Reproduce any input with: TMPDIR=/tmp BRANKAS_FUZZ_VERBOSE=1 $bin <file>"
