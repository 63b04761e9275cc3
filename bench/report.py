#!/usr/bin/env python3
"""Writes bench/results.md from one invocation of bench/run-bench.sh and prints its tables.

usage: report.py INVOCATION_DIR OUT_FILE

INVOCATION_DIR (bench/work/results/<time>/) holds fixture.json, invocation.json, runs.jsonl and
components.txt. The scale table at the end lists every invocation under bench/work/results/ that has
pitr runs (history events and worker memory against fixture size and WAL count).
"""
import datetime, glob, json, os, platform, re, shutil, statistics, subprocess, sys

METHODS = ["manual", "cloud", "pitr", "floor"]
LABEL = {
    "manual": "(a) manual procedure + fixes",
    "cloud": "(b) barman-cloud-restore + wal-restore",
    "pitr": "(c) pitr restore --wait",
    "floor": "(d) one-pass floor (base only)",
}
PHASE_ORDER = ["plan", "download_base", "extract", "download_and_extract", "download_wal", "copy_to_barman_home", "stage",
               "rebuild_xlogdb", "stage_and_rebuild_xlogdb", "recover", "barman_cloud_restore", "configure", "start_until_paused",
               "verify", "check_and_stop", "cleanup"]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_s(x):
    return "—" if x is None else ("%.1f s" % x if x >= 10 else "%.2f s" % x)


def fmt_mb(x):
    return "—" if x is None else ("%.2f GB" % (x / 2**30) if x >= 2**30 else "%.0f MB" % (x / 2**20))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def machine():
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    disk = sh("df -h --output=source,fstype,size,avail / | tail -1")
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "disk": re.sub(r"\s+", " ", disk),
        "kernel": platform.release(),
        "pg": sh("ls /usr/lib/postgresql | sort -n | tail -1"),
        "barman": sh("barman --version 2>/dev/null | head -1 | cut -d' ' -f1"),
        # the Barman the pitr worker runs (PITR_BARMAN_BIN, from .stack/env); the manual procedure runs `barman` on PATH
        "workerBarman": sh("\"${PITR_BARMAN_BIN:-barman}\" --version 2>/dev/null | head -1 | cut -d' ' -f1"),
        "aws": sh("/usr/bin/aws --version 2>&1 | cut -d' ' -f1"),
        "node": sh("node --version"),
        "git": sh("cd %s && git rev-parse --short HEAD 2>/dev/null" % os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        "dirty": sh("cd %s && git status --porcelain -- src 2>/dev/null | wc -l" % os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    }


def load_runs(inv):
    rows = []
    p = os.path.join(inv, "runs.jsonl")
    if os.path.exists(p):
        for line in open(p):
            if line.strip():
                rows.append(json.loads(line))
    return rows


def summarize(rows):
    by = {}
    for m in METHODS:
        ok = [r for r in rows if r["method"] == m and r["rc"] == 0]
        failed = [r for r in rows if r["method"] == m and r["rc"] != 0]
        if not ok and not failed:
            continue
        phases = {}
        for r in ok:
            for k, v in r.get("phases", {}).items():
                phases.setdefault(k, []).append(v)
        by[m] = {
            "n": len(ok), "failed": len(failed),
            "wall": med([r["wall_s"] for r in ok]),
            "walls": sorted(r["wall_s"] for r in ok),
            "write": med([r.get("write_bytes") for r in ok]),
            "cancelled": med([r.get("cancelled_write_bytes") for r in ok]),
            "left": med([r.get("left_bytes") for r in ok]),
            "hwm": max([r["worker_hwm_kb"] for r in ok if r.get("worker_hwm_kb")] or [0]) * 1024 or None,
            "events": max([r["events"] for r in ok if r.get("events")] or [0]) or None,
            "phases": {k: med(v) for k, v in phases.items()},
        }
    return by


def components(inv):
    out = {}
    p = os.path.join(inv, "components.txt")
    if os.path.exists(p):
        for line in open(p):
            k, v = line.split()
            out[k] = float(v)
    return out


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def main(inv, out_file):
    fx = json.load(open(os.path.join(inv, "fixture.json")))
    invocation = json.load(open(os.path.join(inv, "invocation.json")))
    rows = load_runs(inv)
    by = summarize(rows)
    comp = components(inv)
    mach = machine()
    manual = by.get("manual", {}).get("wall")
    args = invocation["args"]

    # ---- main table ----
    main_rows = []
    for m in METHODS:
        if m not in by:
            continue
        s = by[m]
        ratio = "%.2fx" % (s["wall"] / manual) if manual and s["wall"] else "—"
        spread = "%s–%s" % (fmt_s(s["walls"][0]), fmt_s(s["walls"][-1])) if s["walls"] else "—"
        main_rows.append([LABEL[m], "%d%s" % (s["n"], " (+%d failed)" % s["failed"] if s["failed"] else ""), fmt_s(s["wall"]), ratio, spread,
                          fmt_mb(s["write"]), fmt_mb(s["left"]),
                          fmt_mb(s["hwm"]) if s["hwm"] else "—", s["events"] or "—"])
    main_table = table(["method", "runs", "median wall", "vs manual", "min–max", "bytes written", "left on disk", "peak worker RSS", "history events"], main_rows)

    # ---- per-phase table ----
    present = [m for m in METHODS if m in by]
    names = [p for p in PHASE_ORDER if any(p in by[m]["phases"] for m in present)]
    names += sorted({p for m in present for p in by[m]["phases"]} - set(names))
    phase_rows = [[p] + [fmt_s(by[m]["phases"].get(p)) if p in by[m]["phases"] else "" for m in present] for p in names]
    dl = {}
    for m in present:
        ph = by[m]["phases"]
        if m in ("manual", "pitr") and "download_base" in ph and "extract" in ph:
            dl[m] = ph["download_base"] + ph["extract"]
        elif m == "pitr" and "download_and_extract" in ph:
            dl[m] = ph["download_and_extract"]
        elif m == "cloud" and "barman_cloud_restore" in ph:
            dl[m] = ph["barman_cloud_restore"]
        elif m == "floor" and "download_and_extract" in ph:
            dl[m] = ph["download_and_extract"]
    floor = dl.get("floor")
    phase_rows.append(["**base download + extract**"] + [
        ("**%s**" % fmt_s(dl[m]) + (" (%.2fx floor)" % (dl[m] / floor) if floor and m != "floor" else "")) if m in dl else "" for m in present])
    phase_table = table(["phase (median)"] + [LABEL[m].split(" ")[0] + " " + m for m in present], phase_rows)

    # ---- goals ----
    goals = []
    pitr = by.get("pitr")
    cloud = by.get("cloud", {}).get("wall")

    def goal(name, ok, detail):
        goals.append([name, "—" if ok is None else ("**met**" if ok else "**missed**"), detail])

    if pitr:
        goal("pitr total ≤ 0.5x manual", pitr["wall"] <= 0.5 * manual if manual else None,
             "%s vs %s: %.2fx" % (fmt_s(pitr["wall"]), fmt_s(manual), pitr["wall"] / manual) if manual else "manual not run")
        goal("pitr total < barman-cloud-restore", pitr["wall"] < cloud if cloud else None,
             "%s vs %s: %.2fx" % (fmt_s(pitr["wall"]), fmt_s(cloud), pitr["wall"] / cloud) if cloud else "cloud not run")
        goal("download+extract ≤ 1.3x floor", dl["pitr"] <= 1.3 * floor if floor and "pitr" in dl else None,
             "%s vs %s: %.2fx" % (fmt_s(dl["pitr"]), fmt_s(floor), dl["pitr"] / floor) if floor and "pitr" in dl else "floor not run")
        goal("peak worker RSS < 300 MB", pitr["hwm"] < 300 * 2**20 if pitr["hwm"] else None, fmt_mb(pitr["hwm"]) + " (VmHWM of the worker process, reset before each run)")
        types = next((r.get("event_types") for r in rows if r["method"] == "pitr" and r.get("event_types")), None)
        goal("history < 60 events", pitr["events"] < 60 if pitr["events"] else None, "%s events%s" % (pitr["events"],
             " (" + ", ".join("%s %d" % (k, v) for k, v in types.items()) + ")" if types else ""))
    goal_table = table(["goal (issue 5)", "result", "measured"], goals) if goals else "(pitr not run)"

    # ---- bounds of the pitr path (measured) ----
    bounds = []
    if pitr:
        ph = pitr["phases"]
        if floor and "download_base" in ph:
            bounds.append("- pitr's base backup is downloaded to disk first (`download_base` %s: GETs written to `.part` files and fsync'd), "
                          "then read back and extracted (`extract` %s): the tarball is written and read once more than in the floor's single "
                          "stream (%s)." % (fmt_s(ph["download_base"]), fmt_s(ph.get("extract")), fmt_s(floor)))
        if floor and "download_and_extract" in ph:
            bounds.append("- pitr's base step (`download_and_extract` %s) extracts each tarball while it downloads, fed in order from the "
                          "resumable `.part` file (page cache), against the floor's single stream (%s): the extra is the compressed "
                          "tarball written once (%.0f MB here, what lets a retry resume the download) and the entry checks."
                          % (fmt_s(ph["download_and_extract"]), fmt_s(floor), sum(o["size"] for o in fx.get("baseObjects", [])) / 1e6))
        if comp.get("node_gunzip_to_devnull") and ph.get("extract"):
            bounds.append("- Decompression alone costs %s with Node's zlib and %s with GNU gzip (tarball from the page cache, output "
                          "discarded); pitr's `extract` (node-tar, one JS stream, entry checks, file creation) took %s, so %.0f%% of it is inflate CPU."
                          % (fmt_s(comp["node_gunzip_to_devnull"]), fmt_s(comp.get("gzip_dc_to_devnull")), fmt_s(ph["extract"]),
                             100 * comp["node_gunzip_to_devnull"] / ph["extract"]))
        if comp.get("get_to_devnull"):
            bounds.append("- One GET of the tarball to /dev/null (curl, one stream): %s; one gzip -dc | tar x from a local file: %s."
                          % (fmt_s(comp["get_to_devnull"]), fmt_s(comp.get("gzip_dc_tar_x_from_local_file"))))
        if "plan" in ph:
            bounds.append("- `plan` (%s) reads WAL with pg_waldump to find the first commit after the target: a binary search over the "
                          "segments (commit times follow WAL order), each read segment downloaded (kept for `download_wal`), decompressed and parsed." % fmt_s(ph["plan"]))
        if "recover" in ph and "manual" in by and "recover" in by["manual"]["phases"]:
            bounds.append("- `barman recover` (rsync of the extracted base into the destination + gunzip of every staged WAL segment into "
                          "barman_wal/) is common to (a) and (c): %s in pitr, %s in manual."
                          % (fmt_s(ph["recover"]), fmt_s(by["manual"]["phases"]["recover"])))
        if "verify" in ph:
            bounds.append("- `verify` (start PostgreSQL, replay to the target, stop) %s; manual `start_until_paused` + `check_and_stop` %s."
                          % (fmt_s(ph["verify"]), fmt_s((by.get("manual", {}).get("phases", {}).get("start_until_paused") or 0)
                                                        + (by.get("manual", {}).get("phases", {}).get("check_and_stop") or 0)) if "manual" in by else "—"))

    # ---- scale across invocations ----
    scale_rows = []
    for d in sorted(glob.glob(os.path.join(os.path.dirname(inv), "*"))):
        try:
            f = json.load(open(os.path.join(d, "fixture.json")))
        except Exception:
            continue
        ok = [r for r in load_runs(d) if r["method"] == "pitr" and r["rc"] == 0]
        if not ok:
            continue
        cf = os.path.join(d, "code.txt")
        scale_rows.append([os.path.basename(d) + (" (this run)" if os.path.abspath(d) == os.path.abspath(inv) else ""), f.get("server", "bench"),
                           (open(cf).read().strip().split(" (")[0] + " " + " ".join(re.findall(r"HEAD \w+|\d+ changed", open(cf).read())) if os.path.exists(cf) else "?"),
                           "%.0f MB" % (f["pgdataBytes"] / 2**20), f["walSegmentsNeeded"], len(ok),
                           fmt_s(med([r["wall_s"] for r in ok])), max(r.get("events") or 0 for r in ok),
                           fmt_mb(max(r.get("worker_hwm_kb") or 0 for r in ok) * 1024)])
    scale_table = table(["invocation", "server", "code", "PGDATA", "WAL segments needed", "pitr runs", "median wall", "history events", "peak worker RSS"], scale_rows)

    # ---- write ----
    server = fx.get("server", "bench")
    name = args.get("fixture", "default")
    suffix = "" if name == "default" else "-" + name
    fixture_arg = "" if name == "default" else " --fixture " + name
    b = fx["backup"]
    data_obj = [o for o in fx["baseObjects"] if o["key"].endswith(".tar.gz")]
    started = os.path.basename(inv)
    code_file = os.path.join(inv, "code.txt")
    code = open(code_file).read().strip() if os.path.exists(code_file) else "git " + mach["git"]
    text = f"""# Restore benchmark (issue 5)

Generated by `bench/run-bench.sh{fixture_arg} --size-mb {args['sizeMb']} --wal-segments {args['walSegments']} --runs {args['runs']}` (`npm run bench`),
invocation {started} ({invocation.get('totalSeconds', 0):.0f} s in all); raw data in `bench/work/results/{started}/`.
Methods ran alternately, run by run ({' '.join(args['methods'])}, repeated {args['runs']}x), on one fixture and one S3 server.
Code of (c): {code}, compiled into a private snapshot (bench/work/snapshot{suffix}) by the benchmark.

## Machine

- {mach['cpus']} vCPUs ({mach['cpu']}), {mach['memory']} RAM, disk `{mach['disk']}` (source, type, size, free), Linux {mach['kernel']}
- PostgreSQL {mach['pg']}, Barman {mach['barman']} for the manual procedure and {mach.get('workerBarman', mach['barman'])} in the pitr worker (`PITR_BARMAN_BIN`), {mach['aws']}, Node {mach['node']}; S3 is versitygw on loopback (127.0.0.1:7070), Temporal dev server on the same machine
- **Load average (1/5/15 min): {' '.join(invocation['loadStart'])} at the start, {' '.join(invocation.get('loadEnd', ['?']))} at the end.**
  The load includes the benchmark's own work (up to about 2 on these 2 vCPUs); anything else running at the same time adds
  noise, and the runs alternate so that each method sees the same background on average.

## Fixture (server `{server}` in s3://{fx['bucket']}/{fx['prefix'] + '/' if fx['prefix'] else ''}{server}/, built by `bench/make-bench-fixture.sh`)

- pgbench scale {fx['pgbenchScale']}: PGDATA {fx['pgdataBytes'] / 2**20:.0f} MB without pg_wal; one `barman-cloud-backup --gzip --immediate-checkpoint`
  (backup {b['id']}, {fx['backupSeconds']:.0f} s): {len(fx['baseObjects'])} objects, data.tar.gz {fmt_mb(sum(o['size'] for o in data_obj))}
- WAL archived by `barman-cloud-wal-archive --gzip`: {fx['walSegmentsAfterBackup']} segments from the backup's begin_wal {fx['firstWal']} on
  ({fmt_mb(fx['walBytesAfterBackup'])} compressed; {fx['params']['txnPerSegment']} pgbench transactions, then pg_switch_wal(), per segment)
- Target {fx['targetTime']}: halfway between the marker rows `before-target` and `after-target`, committed 0.5 s apart near the end;
  **WAL needed: {fx['walSegmentsNeeded']} segments** ({fx['firstWal']}..{fx['lastWalNeeded']}, {fmt_mb(fx['walBytesNeeded'])} compressed, 16 MB each once decompressed).
  Every restore must show {', '.join(fx['expectPresent'])} and not {', '.join(fx['expectAbsent'])}.

## Methods

- **(a) manual** (`bench/manual-restore.sh`): the seed's procedure with the research fixes: `/usr/bin/aws s3 sync` of the base
  backup (`--include "{server}/base/<id>/*"`), `tar xzf`, the WAL picked by name from a listing and synced with one `--include` per
  key, `cp -r` into a Barman home, `.gz` stripped, `touch -d @86400`, `chown -R postgres`, `barman rebuild-xlogdb` (checked),
  `barman recover --target-time` (private config, barman_user postgres), then PostgreSQL started on the result.
- **(b) cloud** (`bench/cloud-restore.sh`): `barman-cloud-restore` into the destination, then `restore_command =
  'barman-cloud-wal-restore …'`, `recovery_target_time`, `archive_mode = off`, `recovery.signal`, and PostgreSQL started.
- **(c) pitr**: `pitr restore --server {server} --target-time … --dest … --task-queue <own> --wait` against one worker started
  before the runs (own task queue, `PITR_BARMAN_HOME=bench/work/pitr-home{suffix}`, default download settings).
- **(d) floor** (`bench/floor.sh`): `curl` GET of each base backup object | Node zlib gunzip | `tar x` into a fresh directory.
- **Scale**: `bash bench/scale.sh` runs (c) alone on fixtures of about 10 and 1,000+ WAL segments and of 64 MB and 1 GB
  (each cached under its own name, `--fixture NAME`) and writes the history event count and the worker's peak RSS of each to
  `bench/scale-results.md`.

## Results (median of each method; ratio against the manual procedure of the same invocation)

{main_table}

- **wall**: from the command's start until PostgreSQL on the result has been seen paused at the target and stopped again
  (a, b: the script's process tree under `bench/iotree.py`; c: the `pitr restore --wait` process, whose workflow ends with
  the verify step's start/pause/stop and the removal of the staging area; d: the floor pipeline).
  For (c) the SQL marker check is done afterwards, untimed (a second start of the result); for (a) and (b) it is inside the time (some 50 ms).
- **bytes written**: `write_bytes` of /proc/<pid>/io (bytes written into files through the page cache, counted when written,
  even if deleted later) of the whole process tree, including the PostgreSQL server started on the result (re-parented to
  the measuring subreaper); for (c) the worker process and its children and the PostgreSQL it started (the CLI writes nothing).
- **left on disk**: what the method leaves behind (`du -sb`): the restored directory, plus the downloads and Barman home for (a).
- **peak worker RSS**: VmHWM of the worker's node process, reset (`clear_refs` 5) before each run; the largest of the runs.
- **history events**: the restore workflow's event count (`handle.fetchHistory()`), the largest of the runs.

### Per-phase medians

{phase_table}

- (a) steps are timed in `bench/manual-restore.sh`; (b) in `bench/cloud-restore.sh` (its WAL is fetched during `start_until_paused`,
  one barman-cloud-wal-restore process per segment); (c) from the workflow history: each activity's started → completed event times
  (`verify` = start PostgreSQL, wait for the pause at the target, stop it; `cleanup` = removal of the staging area).
- The manual procedure downloads the WAL by name: {'every segment from begin_wal on' if args.get('manualWal') == 'all' else 'begin_wal up to the segment holding the first commit after the target (known from the fixture: the after-target marker), one --include per key'}.

### Floor components (once per invocation, on the base backup tarball)

{table(["measurement", "seconds"], [[k, "%.2f" % v] for k, v in comp.items()]) if comp else "(floor not run)"}

## Goal figures

{goal_table}

### What bounds the pitr path (measured above)

{chr(10).join(bounds) if bounds else "(pitr not run)"}

## History events and worker memory across fixtures (every invocation in bench/work/results/)

{scale_table}
"""
    # A hand-written analysis (bench/analysis.md) is appended, marked stale when it was written for another invocation.
    analysis_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
    if os.path.exists(analysis_file):
        analysis = open(analysis_file).read()
        m = re.search(r"<!-- invocation: (\S+) -->", analysis)
        if m and m.group(1) != started:
            analysis = ("> **Stale:** the analysis below was written for invocation %s, not for the run above; its figures are that run's.\n\n"
                        % m.group(1)) + analysis
        text += "\n" + analysis
    tmp = out_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out_file)
    print()
    print(main_table)
    print()
    print(phase_table)
    print()
    print(goal_table)
    print("\nwritten: %s" % out_file)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
