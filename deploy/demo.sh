#!/usr/bin/env bash
# Installs every dependency (Debian packages), builds, creates a unit node in
# ./demo-data (sealed by a generated passphrase) and walks the main journeys on
# synthetic cases: intake, assignment, per-role reads, masking, a legal grant,
# blind-index search, and the auditor's view with chain verification.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${BRANKAS_DEMO_DIR:-"$root/demo-data"}

bash "$root/deploy/install-deps.sh"
cmake -S "$root" -B "$root/build/demo" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBRANKAS_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build/demo" -j "$(nproc 2>/dev/null || echo 2)" --target brankas brankas-bench
bin="$root/build/demo/tools"

if [ ! -f "$data/CURRENT" ]; then
  mkdir -p "$data"
  chmod 700 "$data"
  umask 077
  # A random passphrase for the demo node only; real units type their own.
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$data/demo-passphrase"
  "$bin/brankas" init --data-dir "$data" --unit DEMO --passphrase-file "$data/demo-passphrase" \
    --shares 3 --threshold 2
fi
"$bin/brankas" demo --data-dir "$data" --passphrase-file "$data/demo-passphrase"
