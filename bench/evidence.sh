#!/usr/bin/env bash
# Evidence attachment throughput of issue #5, on loopback, N rounds (default 3):
#
#   bench/evidence.sh [--rounds N] [--mib M] [--build DIR]
#
# Starts `brankasd --dev` on a fresh directory and, each round, moves one file
# of M MiB (default 1024) of random bytes:
#   brankas evidence add   the command line streams it up over HTTPS (TLS 1.3),
#                          the server seals it in 1 MiB secretstream chunks into
#                          RocksDB blob files and answers after the fsync;
#   brankas evidence get   streams it back, verified chunk by chunk and by SHA-256,
#                          into a file that is fsync'd and renamed;
# and, in the same round, the comparisons:
#   curl upload / download the same bytes to and from the same server (a
#                          widely used HTTPS client; same server work);
#   dd conv=fsync          writing the same bytes to the same file system: the
#                          disk's own ceiling for a durable write.
# One JSON line per measure, then a Markdown table of medians and the server's
# peak resident size. Synthetic (random) data only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=3; mib=1024; build="$root/build/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --mib) mib=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: bench/evidence.sh [--rounds N] [--mib M] [--build DIR]" >&2; exit 2 ;;
  esac
done
[ -x "$build/tools/brankasd" ] && [ -x "$build/tools/brankas" ] || bash "$root/deploy/build.sh" "$build"
work=$(mktemp -d /tmp/brankas-evidence-bench.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build/tools/brankasd" --dev --data-dir "$work/node" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do grep -q 'ready https://' "$work/server.log" && break; sleep 0.2; done
grep -q 'ready https://' "$work/server.log" || { echo "brankasd did not start" >&2; cat "$work/server.log" >&2; exit 1; }
creds="$work/node/dev-credentials.json"
export XDG_CONFIG_HOME="$work/session"
cli="$build/tools/brankas"
"$cli" login --dev-credentials "$creds" --as case_worker >/dev/null
case_id=$("$cli" case list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cases"][0]["case_id"])')
read -r url ca user password < <(python3 - "$creds" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
u = c["users"]["case_worker"]
print(c["url"], c["ca_cert"], u["user"], u["password"])
PY
)
token=$(curl -s --cacert "$ca" -H 'Content-Type: application/json' -X POST "$url/v1/sessions" \
  -d "{\"user\":\"$user\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

head -c "$((mib << 20))" /dev/urandom >"$work/file.bin"
results="$work/results.jsonl"
now() { date +%s.%N; }
emit() {  # round measure t0 t1
  python3 -c "import sys; r,m,t0,t1,mib=sys.argv[1:]; s=float(t1)-float(t0); print('{\"round\":%s,\"measure\":\"%s\",\"seconds\":%.3f,\"mib_per_s\":%.1f}' % (r,m,s,float(mib)/s))" \
    "$1" "$2" "$3" "$4" "$mib" | tee -a "$results"
}
for round in $(seq 1 "$rounds"); do
  sync
  t0=$(now); eid=$("$cli" evidence add "$case_id" "$work/file.bin" --type video/mp4 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["evidence_id"])'); t1=$(now)
  emit "$round" "brankas_add" "$t0" "$t1"
  rm -f "$work/back.bin"; sync
  t0=$(now); "$cli" evidence get "$case_id" "$eid" --out "$work/back.bin" >/dev/null; t1=$(now)
  emit "$round" "brankas_get" "$t0" "$t1"
  cmp -s "$work/file.bin" "$work/back.bin" || { echo "round $round: the file came back different" >&2; exit 1; }
  rm -f "$work/back.bin"; sync
  t0=$(now); ceid=$(curl -s --fail --cacert "$ca" -H "Authorization: Bearer $token" -H 'Content-Type: application/octet-stream' \
    -T "$work/file.bin" -X POST "$url/v1/cases/$case_id/evidence?name=file.bin&type=video/mp4" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["evidence_id"])'); t1=$(now)
  emit "$round" "curl_upload" "$t0" "$t1"
  t0=$(now); curl -s --fail --cacert "$ca" -H "Authorization: Bearer $token" -o "$work/back.bin" \
    "$url/v1/cases/$case_id/evidence/$ceid"; sync "$work/back.bin"; t1=$(now)
  emit "$round" "curl_download" "$t0" "$t1"
  rm -f "$work/back.bin" "$work/dd.bin"; sync
  t0=$(now); dd if="$work/file.bin" of="$work/dd.bin" bs=1M conv=fsync status=none; t1=$(now)
  emit "$round" "dd_fsync_write" "$t0" "$t1"
  rm -f "$work/dd.bin"
done
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
python3 - "$results" "$mib" "$rounds" "$peak" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mib, rounds, peak_kb = sys.argv[2], sys.argv[3], int(sys.argv[4])
def med(m): return statistics.median(r["mib_per_s"] for r in rows if r["measure"] == m)
print()
print(f"| measure ({mib} MiB file, medians of {rounds} rounds) | MiB/s | vs comparison |")
print("|---|---|---|")
print(f"| `brankas evidence add` (HTTPS, sealed, fsync'd) | {med('brankas_add'):.0f} | {med('brankas_add')/med('curl_upload'):.2f}x curl upload, {med('brankas_add')/med('dd_fsync_write'):.2f}x dd |")
print(f"| `brankas evidence get` (HTTPS, verified, fsync'd file) | {med('brankas_get'):.0f} | {med('brankas_get')/med('curl_download'):.2f}x curl download |")
print(f"| curl upload to the same server (comparison) | {med('curl_upload'):.0f} | |")
print(f"| curl download from the same server (comparison) | {med('curl_download'):.0f} | |")
print(f"| dd conv=fsync to the same file system (comparison) | {med('dd_fsync_write'):.0f} | |")
print(f"| brankasd peak resident size over the whole run | {peak_kb/1024:.0f} MiB | < 200 MiB |")
PY
echo
echo "reproduce: bench/evidence.sh --rounds $rounds --mib $mib --build $build"
