#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs every dependency (Debian
# packages only), builds, starts a central backup node and two unit servers on
# loopback — Kupang (KPG) and Sleman (SLM) — each with its own generated TLS
# identity (every side pinned by key), demo users for every role and synthetic
# cases; the units replicate to the central node. It walks the main journeys
# with the `brankas` command line, shows replication and a restore drill,
# prints what to try next, and keeps serving until Ctrl-C.
#
#   bash deploy/demo.sh            serve until Ctrl-C
#   bash deploy/demo.sh --exit     walk the journeys, then stop (scripts, CI)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${BRANKAS_DEMO_DIR:-"$root/demo-data"}
kpg_port=${BRANKAS_DEMO_KPG_PORT:-8443}
slm_port=${BRANKAS_DEMO_SLM_PORT:-8444}
central_port=${BRANKAS_DEMO_CENTRAL_PORT:-9443}
exit_after=0
[ "${1:-}" = "--exit" ] && exit_after=1

bash "$root/deploy/install-deps.sh"
cmake -S "$root" -B "$root/build/demo" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBRANKAS_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build/demo" -j "$(nproc 2>/dev/null || echo 2)" --target brankas brankasd brankas-bench
bin="$root/build/demo/tools"

mkdir -p "$data"
chmod 700 "$data"
pids=()
stop_servers() {  # units first (they ship their last entries), the central node last
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

# wait_ready DIR: waits (bounded) for the "ready" line of the server just started.
wait_ready() {
  local dir=$1
  for _ in $(seq 600); do
    grep -q '^ready ' "$dir/brankasd.out" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "brankasd in $dir did not start; its log:" >&2
  cat "$dir/brankasd.log" >&2
  exit 1
}
# identity DIR NAME: a TLS identity in DIR/tls (kept across runs); prints its pin.
identity() {
  mkdir -p "$1/tls"
  if [ ! -f "$1/tls/key.pem" ]; then
    "$bin/brankas" repl identity --cert "$1/tls/cert.pem" --key "$1/tls/key.pem" --name "$2" >/dev/null
  fi
  "$bin/brankas" repl pin --cert "$1/tls/cert.pem"
}

# The central backup node: it pins each unit's key, and each unit pins its key.
central_pin=$(identity "$data/central" brankas-central)
kpg_pin=$(identity "$data/kpg" brankas-dev-KPG)
slm_pin=$(identity "$data/slm" brankas-dev-SLM)
cat >"$data/central/central.toml" <<EOF3
# Written by deploy/demo.sh. config/central.toml documents every key.
role = "central"
data_dir = "$data/central/data"
[central]
listen = "127.0.0.1:$central_port"
tls_cert = "$data/central/tls/cert.pem"
tls_key = "$data/central/tls/key.pem"
[[units]]
code = "KPG"
pin = "$kpg_pin"
[[units]]
code = "SLM"
pin = "$slm_pin"
EOF3
"$bin/brankasd" --config "$data/central/central.toml" >"$data/central/brankasd.out" 2>"$data/central/brankasd.log" &
pids+=($!)
wait_ready "$data/central"

# start_unit CODE PORT: a development unit server in $data/<code>, replicating
# to the central node.
# Further arguments go to brankasd (the referral peer).
start_unit() {
  local code=$1 port=$2 dir="$data/${1,,}"
  shift 2
  "$bin/brankasd" --dev --unit "$code" --data-dir "$dir" --listen "127.0.0.1:$port" \
    --central "127.0.0.1:$central_port" --central-pin "$central_pin" "$@" \
    >"$dir/brankasd.out" 2>"$dir/brankasd.log" &
  pids+=($!)
  wait_ready "$dir"
}
# Referral (rujukan) between the units needs each to pin the other's node key,
# which a unit makes on its first start: start both, read the keys from their
# dev credentials, restart both pinning each other (their data are kept).
key_of() { grep -o '"node_key": "[^"]*"' "$data/$1/dev-credentials.json" 2>/dev/null | cut -d'"' -f4; }
if [ -z "$(key_of kpg)" ] || [ -z "$(key_of slm)" ]; then
  start_unit KPG "$kpg_port"
  start_unit SLM "$slm_port"
  for i in 2 1; do
    kill -TERM "${pids[i]}"
    wait "${pids[i]}" || true
  done
  pids=("${pids[0]}")
fi
start_unit KPG "$kpg_port" --referral-peer "SLM=$(key_of slm)"
start_unit SLM "$slm_port" --referral-peer "KPG=$(key_of kpg)"

# One login cache per demo person, so their sessions do not mix.
as() {
  local who=$1
  shift
  XDG_CONFIG_HOME="$data/sessions/$who" "$bin/brankas" "$@"
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
creds="$data/kpg/dev-credentials.json"
for role in intake case_worker supervisor psychologist legal auditor admin; do
  mkdir -p "$data/sessions/$role"
  as "$role" login --dev-credentials "$creds" --as "$role" >/dev/null
done


say "Kupang (KPG) at https://127.0.0.1:$kpg_port and Sleman (SLM) at https://127.0.0.1:$slm_port are serving"
"$bin/brankas" health --server "https://127.0.0.1:$kpg_port" --ca "$data/kpg/tls/cert.pem"
"$bin/brankas" health --server "https://127.0.0.1:$slm_port" --ca "$data/slm/tls/cert.pem"

say "The case worker lists the cases assigned to her (no identity in a list)"
as case_worker case list --mine
case_id=$(as case_worker case list --mine --json | grep -o '"case_id":"[^"]*"' | head -1 | cut -d'"' -f4)

say "She reads one: every class her role may read"
as case_worker case get "$case_id" --fields name,birth_date,district,incident_date,incident_place,perpetrator_relationship

say "The legal user (jaksa) reads it without a grant: everything is withheld"
as legal case get "$case_id" || true

say "The supervisor makes the case worker its owner; she requests a grant, the supervisor approves"
worker=$(grep -A2 '"case_worker"' "$creds" | grep -o '"user": "[^"]*"' | cut -d'"' -f4)
legal=$(grep -A2 '"legal"' "$creds" | grep -o '"user": "[^"]*"' | cut -d'"' -f4)
as supervisor case assign "$case_id" --user "$worker" --owner "$worker" >/dev/null
grant_id=$(as case_worker grant request --case "$case_id" --grantee "$legal" --classes incident,perpetrator \
  --hours 24 --legal-basis court_order:PN-KPG/2026/017 --json | grep -o '"grant_id":"[^"]*"' | cut -d'"' -f4)
as supervisor grant approve "$grant_id"

say "Now the legal user reads the granted classes, and nothing else"
as legal case get "$case_id"

say "The case worker attaches a scan (synthetic bytes), streamed and sealed; its SHA-256 goes into the audit trail"
head -c 2000000 /dev/urandom >"$data/visum-sintetis.pdf"
as case_worker evidence add "$case_id" "$data/visum-sintetis.pdf" --type application/pdf
as case_worker evidence list "$case_id"

say "The legal user takes a signed evidence bundle of what the grant opens, and anyone can check it offline"
rm -f "$data/bundle-$case_id.bin"
as legal evidence bundle "$case_id" --out "$data/bundle-$case_id.bin"
node_key=$(grep -o '"node_key": "[^"]*"' "$creds" | cut -d'"' -f4)
"$bin/brankas" evidence verify "$data/bundle-$case_id.bin" --node-key "$node_key"

say "Kupang's case worker refers the case's incident and services classes to Sleman (rujukan), via the central node"
ref_id=$(as case_worker referral create --case "$case_id" --to SLM --classes incident,services --days 30 --json |
  grep -o '"referral_id":"[^"]*"' | cut -d'"' -f4)
as case_worker referral list
mkdir -p "$data/sessions/slm_supervisor"
as slm_supervisor login --dev-credentials "$data/slm/dev-credentials.json" --as supervisor >/dev/null
for _ in $(seq 100); do  # bounded: it arrives at Sleman's next contact with the central node
  as slm_supervisor referral show "$ref_id" >/dev/null 2>&1 && break
  sleep 0.2
done
say "Sleman's supervisor reads it under Sleman's own policy"
as slm_supervisor referral show "$ref_id"

say "Kupang revokes the referral; Sleman loses it at its next contact"
as case_worker referral revoke "$ref_id" >/dev/null
for _ in $(seq 100); do
  as slm_supervisor referral show "$ref_id" >/dev/null 2>&1 || break
  sleep 0.2
done
as slm_supervisor referral show "$ref_id" || true

say "The administrator manages users but cannot read a case"
as admin user list
as admin case get "$case_id" || true

say "The auditor sees who touched the case (names of fields, never values) and verifies the chain"
as auditor audit query --case "$case_id" --limit 12
as auditor audit verify

say "Both units replicate, still encrypted, to the central node at 127.0.0.1:$central_port"
for _ in $(seq 50); do  # bounded: up to ~5 s for the last entries to be acknowledged
  lag=$(as admin repl status --json | grep -o '"lag_entries":[0-9]*' | cut -d: -f2)
  [ "${lag:-1}" -le 1 ] && break
  sleep 0.1
done
as admin repl status || true
say "A restore drill on the central node's copy of Kupang (chain, signatures, receipts)"
"$bin/brankas" repl drill --data-dir "$data/central/data" --unit KPG || true

cat <<EOF2

== What to try next (the servers keep running until Ctrl-C)

  export PATH="$bin:\$PATH" XDG_CONFIG_HOME="$data/sessions/you"
  brankas login --dev-credentials $creds --as case_worker
  brankas case list --mine
  brankas case get $case_id
  brankas case create --field name="Nama Sintetis" --field incident_date=2026-01-15
  brankas search --field nik             # asks for the value without echo

  brankas login --dev-credentials $creds --as legal
  brankas case get $case_id             # the granted classes only, until the grant ends

  brankas login --dev-credentials $creds --as auditor
  brankas audit query --actor $legal
  brankas audit verify

  brankas login --dev-credentials $creds --as admin
  brankas repl status                   # lag, acknowledged sequence, alarms
  brankas repl drill --data-dir $data/central/data --unit SLM

  Each unit's demo users and passwords: $data/kpg/dev-credentials.json, $data/slm/dev-credentials.json
  Server logs (no values, tokens or passwords in them): $data/kpg/brankasd.log, $data/central/brankasd.log
  Every command has --help and --json.
EOF2

if [ "$exit_after" = 1 ]; then
  exit 0
fi
echo "Serving. Press Ctrl-C to stop both units and the central node."
wait
