#!/usr/bin/env python3
"""Helpers of bench/compare-peers.sh (standard library only).

  summarize.py pglat LOGFILE...          pgbench per-transaction logs (-l) -> `"p50_ms":..,"p99_ms":..,"logged":N`
  summarize.py tag --round R --system S [--workload W] [--set K=JSON]... < JSON
                                         one measurement line: the tool's JSON object plus round/system
  summarize.py report --results FILE [meta options] [--update-docs FILE]
                                         the table of medians, one JSON line per system, and the
                                         docs/BENCHMARKS.md section between the peers markers
"""
import argparse
import json
import math
import statistics
import sys

BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
HEADING = "## Peers, side by side (bench/compare-peers.sh)"

# (system, workload) in table order, and what one operation is.
ROWS = [
    ("postgres", "case-create",
     "one transaction: INSERT a case whose 6 sensitive columns are each `pgp_sym_encrypt(value, key)`, "
     "INSERT its audit row, COMMIT; fsync=on, synchronous_commit=on; pgbench -M prepared over TLS, "
     "{c} clients, -j 2"),
    ("postgres-s2k1", "case-create",
     "the same transaction with `pgp_sym_encrypt(value, key, 's2k-mode=1')`: no key stretching"),
    ("postgres-plain", "case-create",
     "the same transaction with the 6 values stored in clear (what pgcrypto costs)"),
    ("db_bench", "fillrandom",
     "one 1 KiB Put, fsync'd before it returns (db_bench fillrandom --sync=1, {c} threads, RocksDB's group commit)"),
    ("brankas", "create",
     "one case create over HTTPS, {c} concurrent clients: every field sealed under its class key, "
     "blind indexes, audit entry, one fsync'd batch"),
    ("brankas", "read",
     "one audited case read over HTTPS, {c} concurrent clients (audit entry fsync'd before the reply)"),
]
LABELS = {
    ("postgres", "case-create"): "PostgreSQL + pgcrypto, case create",
    ("postgres-s2k1", "case-create"): "PostgreSQL + pgcrypto without key stretching",
    ("postgres-plain", "case-create"): "PostgreSQL, same transaction unencrypted",
    ("db_bench", "fillrandom"): "RocksDB db_bench, synced 1 KiB put",
    ("brankas", "create"): "Brankas create (HTTPS)",
    ("brankas", "read"): "Brankas read (HTTPS)",
}
# Printed under the table: what the comparison does and does not hold equal.
NOTES = """\
What is held equal: the same machine and disk, minutes apart; every write fsync'd before it is
acknowledged; the same number of concurrent clients; TLS on loopback (pgbench's connection set-up
is excluded from its tps). What is not: a Brankas create seals ~20 fields and writes blind-index
tags and a replication changelog entry; the PostgreSQL transaction encrypts 6 columns and indexes
none of them. `pgp_sym_encrypt` is used with its defaults, which derive the key anew on every call
(iterated-salted S2K, 65,536–253,952 bytes of SHA-1 each), a cost meant for passwords: with a
random key a deployment could pass 's2k-mode=1' (`--with-pg-variants` measures that, and the
transaction without encryption). PostgreSQL runs Debian's defaults apart from the settings named
(listen address, port, max_connections, TLS). db_bench is Debian's build (assertions enabled).
"CPU %" is the whole machine's busy share during the measurement: near 100, the system is
CPU-bound on these 2 cores rather than waiting for the disk."""
OPTIONAL = {"postgres-s2k1", "postgres-plain"}  # --with-pg-variants
TARGET = 5.0  # Brankas create / PostgreSQL create


def percentile(sorted_values, q):
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def cmd_pglat(args):
    # pgbench -l lines: client_id transaction_no time_us script_no epoch_s epoch_us [...]
    lat = []
    for name in args.files:
        with open(name) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    if not lat:
        sys.exit("pglat: no transactions in the pgbench logs")
    lat.sort()
    print(f'"p50_ms":{percentile(lat, 0.50) / 1000:.3f},"p99_ms":{percentile(lat, 0.99) / 1000:.3f},'
          f'"logged":{len(lat)}')


def cmd_tag(args):
    text = sys.stdin.read()
    objs = [l for l in text.splitlines() if l.strip().startswith("{")]
    if not objs:
        sys.exit(f"tag: no JSON object in the tool's output:\n{text[-2000:]}")
    obj = json.loads(objs[-1])
    row = {"round": args.round, "system": args.system}
    if args.workload:
        row["workload"] = args.workload
    for kv in args.set or []:
        k, v = kv.split("=", 1)
        row[k] = json.loads(v)
    for k, v in obj.items():
        row.setdefault(k, v)
    if row.get("errors"):
        print(f"WARNING: {args.system} {args.workload}: {row['errors']} failed operations", file=sys.stderr)
    print(json.dumps(row, separators=(",", ":")))


def med(rows, key):
    vals = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    return round(statistics.median(vals), 3) if vals else None


def build_summary(rows, concurrency):
    summary = []
    for system, workload, what in ROWS:
        rs = [r for r in rows if r["system"] == system and r.get("workload") == workload]
        if not rs:
            continue
        ops = [r["ops_per_s"] for r in rs]
        summary.append({
            "system": system, "workload": workload, "label": LABELS[(system, workload)],
            "what": what.format(c=concurrency), "rounds": len(rs),
            "ops_per_s": round(statistics.median(ops), 1), "ops_per_s_min": round(min(ops), 1),
            "ops_per_s_max": round(max(ops), 1), "p50_ms": med(rs, "p50_ms"), "p99_ms": med(rs, "p99_ms"),
            "cpu_busy_pct": med(rs, "cpu_busy_pct"), "errors": sum(r.get("errors") or 0 for r in rs),
        })
    pg = next((s["ops_per_s"] for s in summary if (s["system"], s["workload"]) == ("postgres", "case-create")), None)
    for s in summary:
        s["ratio_to_postgres_create"] = round(s["ops_per_s"] / pg, 3) if pg else None
    return summary, pg


def fmt_ms(v):
    return "" if v is None else f"{v:.1f}"


def render(summary, pg, a):
    out = []
    out.append(f"Run of {a.date} (raw log: `{a.log}`). Machine: {a.nproc} cores, {a.cpu}, Linux {a.kernel}, "
               f"temporary directories on {a.fs}; load average at start {a.load}.")
    out.append("")
    out.append("Reproduce:")
    out.append("")
    out.append("```sh")
    out.append(a.cmd)
    out.append("```")
    out.append("")
    out.append(f"Concurrency {a.concurrency}, {a.seconds} s per measurement, {a.rounds} round(s) interleaved "
               "(one of each system per round); medians over the rounds, ops/s range in brackets.")
    out.append("")
    out.append("| system | one op | median ops/s | p50 ms | p99 ms | CPU % | × PostgreSQL create |")
    out.append("|---|---|---|---|---|---|---|")
    by_key = {(s["system"], s["workload"]): s for s in summary}
    for system, workload, _ in ROWS:
        s = by_key.get((system, workload))
        if s is None:
            if system not in OPTIONAL:
                out.append(f"| {LABELS[(system, workload)]} | not measured in this run | | | | | |")
            continue
        rng = "" if s["rounds"] < 2 else f" ({s['ops_per_s_min']:,.0f}–{s['ops_per_s_max']:,.0f})"
        if s["errors"]:
            rng += f", {s['errors']:,} failed"
        ratio = "" if s["ratio_to_postgres_create"] is None else f"{s['ratio_to_postgres_create']:.2f}"
        cpu = "" if s["cpu_busy_pct"] is None else f"{s['cpu_busy_pct']:.0f}"
        out.append(f"| {s['label']} | {s['what']} | {s['ops_per_s']:,.0f}{rng} | {fmt_ms(s['p50_ms'])} | "
                   f"{fmt_ms(s['p99_ms'])} | {cpu} | {ratio} |")
    out.append("")
    bc = next((s["ops_per_s"] for s in summary if (s["system"], s["workload"]) == ("brankas", "create")), None)
    if bc is not None and pg:
        r = bc / pg
        verdict = "met" if r >= TARGET else "**not met**"
        out.append(f"Brankas create / PostgreSQL create = **{r:.2f}×** (target ≥ {TARGET:g}×: {verdict}).")
    else:
        out.append(f"Brankas create / PostgreSQL create: not measured in this run (target ≥ {TARGET:g}×).")
    out.append("")
    out.append(NOTES)
    return "\n".join(out)


def update_docs(path, section):
    with open(path) as f:
        text = f.read()
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text and text.index(BEGIN) < text.index(END):
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        # First time: a section of its own at the end, leaving the rest of the file as it is.
        heading = "" if HEADING in text else f"{HEADING}\n\n"
        text = text.rstrip("\n") + f"\n\n{heading}{block}\n"
    with open(path, "w") as f:
        f.write(text)


def cmd_report(a):
    with open(a.results) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    summary, pg = build_summary(rows, a.concurrency)
    section = render(summary, pg, a)
    print(section)
    print()
    for s in summary:
        line = {k: s[k] for k in ("system", "workload", "ops_per_s", "ops_per_s_min", "ops_per_s_max",
                                  "p50_ms", "p99_ms", "cpu_busy_pct", "errors", "rounds",
                                  "ratio_to_postgres_create")}
        line.update(concurrency=a.concurrency, seconds=a.seconds, date=a.date)
        print(json.dumps(line, separators=(",", ":")))
    if a.update_docs:
        update_docs(a.update_docs, section)
        print(f"\nupdated the peers section of {a.update_docs}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="subcommand", required=True)
    s = sub.add_parser("pglat")
    s.add_argument("files", nargs="+")
    s = sub.add_parser("tag")
    s.add_argument("--round", type=int, required=True)
    s.add_argument("--system", required=True)
    s.add_argument("--workload")
    s.add_argument("--set", action="append")
    s = sub.add_parser("report")
    s.add_argument("--results", required=True)
    for k in ("cmd", "date", "nproc", "cpu", "kernel", "fs", "load", "log", "rounds"):  # for the text
        s.add_argument(f"--{k}", default="?")
    for k in ("seconds", "concurrency"):
        s.add_argument(f"--{k}", type=int, required=True)
    s.add_argument("--update-docs", metavar="FILE")
    a = p.parse_args()
    {"pglat": cmd_pglat, "tag": cmd_tag, "report": cmd_report}[a.subcommand](a)


if __name__ == "__main__":
    main()
