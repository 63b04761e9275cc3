#!/usr/bin/env python3
"""Writes bench/scale-results.md: the restore's history event count and the worker's peak memory on
fixtures of different WAL segment counts and base backup sizes, from invocations of bench/run-bench.sh.

usage: scale-report.py OUT_FILE INVOCATION_DIR...   (bench/scale.sh calls it)

Each INVOCATION_DIR (bench/work/results/<time>[-NAME]/) holds fixture.json, invocation.json and
runs.jsonl of one `run-bench.sh --fixture NAME --methods pitr` invocation; every figure in the file
comes from there (nothing is typed by hand).
"""
import datetime, json, os, statistics, sys

MB = 2**20


def load(inv):
    runs = [json.loads(line) for line in open(os.path.join(inv, "runs.jsonl")) if line.strip()]
    start_file = os.path.join(inv, "worker-mem-at-start.txt")
    start = dict(line.split() for line in open(start_file)) if os.path.exists(start_file) else {}
    code_file = os.path.join(inv, "code.txt")
    return {
        "dir": inv,
        "fixture": json.load(open(os.path.join(inv, "fixture.json"))),
        "invocation": json.load(open(os.path.join(inv, "invocation.json"))),
        "pitr": [r for r in runs if r["method"] == "pitr"],
        "rss_at_start_kb": int(start["VmRSS:"]) if "VmRSS:" in start else None,
        "code": open(code_file).read().strip() if os.path.exists(code_file) else "?",
    }


def per_run(values, fmt=str):
    """'69' when every run agrees, else '69, 70' (run order)."""
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return fmt(values[0]) if len(set(values)) == 1 else ", ".join(fmt(v) for v in values)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def fixture_name(d):
    return d["invocation"]["args"].get("fixture", "default")


def result_row(d):
    fx, ok = d["fixture"], [r for r in d["pitr"] if r["rc"] == 0]
    failed = len(d["pitr"]) - len(ok)
    wall = statistics.median(r["wall_s"] for r in ok) if ok else None
    return [
        "`%s` (%s/)" % (fixture_name(d), fx["server"]),
        "%.0f MB" % (fx["pgdataBytes"] / MB),
        fx["walSegmentsAfterBackup"],
        per_run([r.get("wal_segments") for r in ok]),
        per_run([r.get("events") for r in ok]),
        per_run([r.get("worker_hwm_kb") for r in ok], lambda kb: "%.0f" % (kb / 1024)),
        "%.0f" % (d["rss_at_start_kb"] / 1024) if d["rss_at_start_kb"] else "—",
        "%.1f s" % wall if wall is not None else "—",
        "%d%s" % (len(ok), " (+%d failed)" % failed if failed else ""),
    ]


def timing_row(d):
    fx, inv = d["fixture"], d["invocation"]
    build = "%.0f s" % fx["buildSeconds"] if fx.get("buildSeconds") is not None else "not recorded"
    fixture = ("built by this invocation in " + build) if inv.get("fixtureBuilt") else ("cached (built %s, %s)" % (fx.get("builtAt", "?"), build))
    ok = [r for r in d["pitr"] if r["rc"] == 0]
    return ["`%s`" % fixture_name(d), fixture, ", ".join("%.1f s" % r["wall_s"] for r in ok) or "—",
            "%.0f s" % inv.get("totalSeconds", 0), " ".join(inv["loadStart"]) + " → " + " ".join(inv.get("loadEnd", ["?"])),
            "`bench/work/results/%s/`" % os.path.basename(d["dir"])]


def findings(data):
    """Plain statements of what the measured figures show (equal or not, ranges); no judgement typed in."""
    rows = [(fixture_name(d), d, [r for r in d["pitr"] if r["rc"] == 0]) for d in data]
    rows = [(n, d, ok) for n, d, ok in rows if ok]
    if not rows:
        return ["- No successful pitr run."]
    events = sorted({r.get("events") for _, _, ok in rows for r in ok}, key=str)
    out = []
    if len(events) == 1:
        out.append("- **History events: %s on every fixture and every run** (%d runs in all)." % (events[0], sum(len(ok) for _, _, ok in rows)))
    else:
        out.append("- **History events differ**: %s." % "; ".join("`%s` %s" % (n, per_run([r.get("events") for r in ok])) for n, _, ok in rows))
    every = [r["worker_hwm_kb"] / 1024 for _, _, ok in rows for r in ok]
    peaks = [(max(r["worker_hwm_kb"] for r in ok) / 1024, n) for n, _, ok in rows]
    starts = [d["rss_at_start_kb"] / 1024 for _, d, _ in rows if d["rss_at_start_kb"]]
    out.append("- **Peak worker RSS: %.0f–%.0f MB over all runs**; the highest of each fixture: %s (largest/smallest %.2fx). The worker held"
               " %s MB right after it started, before any restore." % (
                   min(every), max(every), ", ".join("`%s` %.0f MB" % (n, v) for v, n in peaks),
                   max(peaks)[0] / min(peaks)[0], "%.0f–%.0f" % (min(starts), max(starts)) if starts else "?"))
    segs = [max(r.get("wal_segments") or d["fixture"]["walSegmentsNeeded"] for r in ok) for _, d, ok in rows]
    sizes = [d["fixture"]["pgdataBytes"] / MB for _, d, _ in rows]
    out.append("- Across the fixtures the restores replayed %d to %d WAL segments (%.0fx) onto a base of %.0f to %.0f MB (%.0fx)."
               % (min(segs), max(segs), max(segs) / max(1, min(segs)), min(sizes), max(sizes), max(sizes) / min(sizes)))
    return out


def main(out_file, invs):
    data = [load(i) for i in invs]
    codes = sorted({d["code"] for d in data})
    runs = sorted({d["invocation"]["args"]["runs"] for d in data})
    text = f"""# Scale: history events and worker memory against WAL segments and backup size (issue 5)

Measured by `bash bench/scale.sh --runs {'/'.join(map(str, runs))}`; written by `bench/scale-report.py` on {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
from the data of the invocations listed under Timings; nothing below is typed by hand (again from the same data:
`python3 bench/scale-report.py bench/scale-results.md bench/work/results/<invocation>...`).
Code of the restores: {'; '.join(codes)}.
Each row is one `bench/run-bench.sh --fixture NAME --methods pitr` invocation: `pitr restore --wait` to the fixture's
target, run after run against one worker started for the invocation (the method (c) of `bench/results.md`).

{table(["fixture (server folder)", "base (PGDATA, uncompressed)", "WAL segments archived", "WAL segments restored",
        "history events", "peak worker RSS (MB)", "worker RSS at start (MB)", "median wall", "pitr runs"],
       [result_row(d) for d in data])}

{chr(10).join(findings(data))}

- **WAL segments archived**: the fixture's segments in S3 from the backup's begin_wal on, listed when it was built
  (`bench/make-bench-fixture.sh`: pg_switch_wal() after every --txn-per-segment pgbench transactions).
- **WAL segments restored**: the restore plan's count as `pitr restore` prints it (begin_wal up to the segment of the first
  commit after the target; each one read while planning or fetched by syncWalRange, then registered by Barman and replayed).
- **history events**: the restore workflow's event count (`handle.fetchHistory()`), per run when the runs differ.
- **peak worker RSS**: VmHWM of the worker's node process, reset (`clear_refs` 5) before each run, per run when they differ;
  **at start**: its VmRSS one second after it began polling, before any restore.
- **median wall**: `pitr restore --wait` from start to the end of the workflow (verify step included).

## Timings

{table(["fixture", "fixture build", "pitr runs (wall)", "invocation total", "load average start → end", "raw data"],
       [timing_row(d) for d in data])}
"""
    tmp = out_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out_file)
    print(text)
    print("written: %s" % out_file)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
