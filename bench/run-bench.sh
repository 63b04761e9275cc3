#!/usr/bin/env bash
# npm run bench: the restore benchmark of issue 5. On one fixture and one S3 server, in one invocation,
# alternating run by run (a b c d a b c d ...):
#   (a) manual  the seed's manual procedure with the research fixes (bench/manual-restore.sh)
#   (b) cloud   barman-cloud-restore + barman-cloud-wal-restore as restore_command (bench/cloud-restore.sh)
#   (c) pitr    `pitr restore --wait --json` through the workflow, one worker started before the runs (its result read
#               from the JSON)
#   (d) floor   the one-pass floor: GET | gunzip | tar x of the base backup, no WAL (bench/floor.sh)
# (a)-(c) restore to the same target into a fresh directory and end in the same state: PostgreSQL
# started on the result, replay paused at the target, marker rows checked by SQL, stopped.
# Writes bench/results.md (and prints its tables); raw data in bench/work/results/<time>/ (<time>-NAME/
# for --fixture NAME).
#
# usage: bench/run-bench.sh [--size-mb N] [--wal-segments N] [--runs N] [--rebuild] [--txn-per-segment N]
#                           [--methods LIST] [--manual-wal needed|all] [--out FILE] [--src REV|worktree]
#                           [--fixture NAME]
#   --size-mb N          uncompressed base backup size (pgbench scale about N/15); default 1024
#   --wal-segments N     WAL segments generated after the backup; default 200
#   --txn-per-segment N  pgbench transactions per WAL segment (then pg_switch_wal()); default 300
#   --runs N             runs of each method; default 3
#   --fixture NAME       which cached fixture (default: default, server folder bench/, bench/work/fixture.json);
#                        each NAME has its own server folder bench-NAME/, bench/work/fixture-NAME.json, source
#                        cluster and working folders (bench/work/runs-NAME, snapshot-NAME, pitr-home-NAME), so
#                        fixtures of several sizes stay cached side by side (env: PITR_BENCH_FIXTURE_NAME)
#   --rebuild            build the fixture again even if its fixture json matches
#   --methods LIST       comma-separated subset of manual,cloud,pitr,floor (default: all four)
#   --manual-wal MODE    WAL the manual procedure downloads: needed (default; begin_wal .. the segment of
#                        the first commit after the target) or all (everything from begin_wal)
#   --out FILE           results file (default bench/results.md)
#   --src REV|worktree   code of (c): src/ of a commit (default HEAD; `git archive`, read-only) or the
#                        working tree as it is, compiled into bench/work/snapshot[-NAME] (never into lib/)
# Needs the local stack (npm run stack:up) and root (PostgreSQL and Barman run as postgres).
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
# floor.sh is also a library: s3_get, node_gunzip
. "$BENCH_DIR/floor.sh"

size_mb=1024 wal_segments=200 runs=3 rebuild=0 txn_per_segment=300 methods="manual,cloud,pitr,floor" manual_wal=needed src_from=HEAD
out_file="$BENCH_DIR/results.md"
while (( $# )); do
  case $1 in
    --size-mb) size_mb=$2; shift 2 ;;
    --wal-segments) wal_segments=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --txn-per-segment) txn_per_segment=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --manual-wal) manual_wal=$2; shift 2 ;;
    --out) out_file=$2; shift 2 ;;
    --src) src_from=$2; shift 2 ;;
    --fixture) bench_select_fixture "$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see $0 --help)" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive whole number"
[[ $src_from == worktree ]] || git -C "$PITR_ROOT" rev-parse --verify -q "$src_from^{commit}" >/dev/null || die "--src: '$src_from' is not a commit (or worktree)"
require_root
load_stack_env
cd "$PITR_ROOT"
PG_BIN=$(pg_bindir)
IFS=, read -r -a METHODS <<<"$methods"
for m in "${METHODS[@]}"; do [[ $m =~ ^(manual|cloud|pitr|floor)$ ]] || die "unknown method '$m'"; done
t_all=$(now_s)
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ----- fixture (cached) ------------------------------------------------------------------------------
fixture_matches() {
  [[ -s $BENCH_FIXTURE ]] || return 1
  "$SYS_PYTHON" - "$BENCH_FIXTURE" "$size_mb" "$wal_segments" "$txn_per_segment" <<'PY' || return 1
import json, sys
p = json.load(open(sys.argv[1]))["params"]
sys.exit(0 if [p["sizeMb"], p["walSegments"], p["txnPerSegment"]] == list(map(int, sys.argv[2:5])) else 1)
PY
  s3_get "${PITR_PREFIX:+${PITR_PREFIX#/}/}$BENCH_SERVER/base/$(fixture_get backup.id)/backup.info" >/dev/null 2>&1
}
fixture_built=0
if (( rebuild )) || ! fixture_matches; then
  fixture_built=1
  (( rebuild )) || [[ ! -s $BENCH_FIXTURE ]] || say "fixture in $BENCH_FIXTURE was built with other parameters (or its backup is gone): rebuilding"
  bash "$BENCH_DIR/make-bench-fixture.sh" --fixture "$BENCH_FIXTURE_NAME" --size-mb "$size_mb" --wal-segments "$wal_segments" --txn-per-segment "$txn_per_segment"
else
  say "fixture: cached $BENCH_FIXTURE (backup $(fixture_get backup.id), target $(fixture_get targetTime)); --rebuild builds it again"
fi
TARGET=$(fixture_get targetTime)

# ----- invocation folder, snapshot build, worker ----------------------------------------------------------
# Working folders are the fixture's own (bench_work_path): invocations on different fixtures do not collide.
INV="$BENCH_WORK/results/$(date -u +%Y%m%dT%H%M%SZ)$BENCH_SUFFIX"
RUNS_DIR=$(bench_work_path runs)
mkdir -p "$INV"
say "invocation folder: $INV"
chmod 755 "$BENCH_WORK"
rm -rf "$RUNS_DIR"; mkdir -p "$RUNS_DIR"
cp "$BENCH_FIXTURE" "$INV/fixture.json"
RUNS_JSONL="$INV/runs.jsonl"
: >"$RUNS_JSONL"
"$SYS_PYTHON" - "$INV/invocation.json" "$size_mb" "$wal_segments" "$runs" "$methods" "$manual_wal" "$BENCH_FIXTURE_NAME" "$txn_per_segment" "$fixture_built" <<'PY'
import json, os, sys
out, size_mb, wal, runs, methods, manual_wal, fixture, txn, built = sys.argv[1:]
json.dump({"args": {"sizeMb": int(size_mb), "walSegments": int(wal), "txnPerSegment": int(txn), "runs": int(runs),
                    "methods": methods.split(","), "manualWal": manual_wal, "fixture": fixture},
           "fixtureBuilt": built == "1", "loadStart": open("/proc/loadavg").read().split()[:3]}, open(out, "w"))
PY

worker_pid="" helper_pid=""
QUEUE="pitr-bench-$$"
PITR_HOME=$(bench_work_path pitr-home)
stop_worker() {
  if [[ -n $helper_pid ]] && kill -0 "$helper_pid" 2>/dev/null; then
    kill -TERM "$helper_pid" 2>/dev/null || true
    wait "$helper_pid" 2>/dev/null || true
  fi
  helper_pid=""
}
trap 'stop_worker' EXIT

# The snapshot build_snapshot (lib-bench.sh) compiles: bench/work/snapshot[-NAME]/lib.
SNAP=$(bench_work_path snapshot)
export PITR_BENCH_SNAPSHOT=$SNAP                # read by bench/pitr-cli.js

if [[ ,$methods, == *,pitr,* ]]; then
  say "building the benchmark's snapshot of src/ from $src_from (-> $SNAP/lib)"
  build_snapshot
  rm -rf "$PITR_HOME"; mkdir -p "$PITR_HOME"
  worker_log="$INV/worker.log"
  WORKER_READY='pitr worker (started|polling)|polling task queue'
  # The worker runs under iotree.py --serve: a subreaper, so the PostgreSQL its verify step starts is
  # reaped there and its I/O is counted in iotree's /proc/<pid>/io.
  PITR_TASK_QUEUE=$QUEUE PITR_BARMAN_HOME=$PITR_HOME \
    "$SYS_PYTHON" "$BENCH_DIR/iotree.py" --serve --json "$INV/worker-io.json" -- node "$SNAP/lib/src/worker.js" >"$worker_log" 2>&1 &
  helper_pid=$!
  for _ in $(seq 240); do
    grep -Eq "$WORKER_READY" "$worker_log" 2>/dev/null && break
    kill -0 "$helper_pid" 2>/dev/null || { log_tail "$worker_log"; die "the worker exited at start"; }
    sleep 0.25
  done
  grep -Eq "$WORKER_READY" "$worker_log" || { log_tail "$worker_log"; die "the worker did not start polling"; }
  worker_pid=$(pgrep -P "$helper_pid" -f "$SNAP/lib/src/worker.js" | head -1)
  [[ -n $worker_pid ]] || die "cannot find the worker's pid"
  sleep 1
  awk '/^(VmHWM|VmRSS):/ { print $1, $2 }' "/proc/$worker_pid/status" >"$INV/worker-mem-at-start.txt"
  say "worker pid $worker_pid on task queue $QUEUE (work area $PITR_HOME); at start: $(tr '\n' ' ' <"$INV/worker-mem-at-start.txt")kB"
fi

io_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/io"; }

# record METHOD RUN RUNDIR RC EXTRA_JSON: one line of runs.jsonl (wall and I/O from iotree's JSON).
record() {
  "$SYS_PYTHON" - "$RUNS_JSONL" "$@" <<'PY'
import json, os, sys
out, method, run, rundir, rc, extra = sys.argv[1:7]
row = {"method": method, "run": int(run), "rc": int(rc)}
io = os.path.join(rundir, "io.json")
if os.path.exists(io):
    row.update(json.load(open(io)))
    row["rc"] = int(rc)
phases = {}
pf = os.path.join(rundir, "phases.txt")
if os.path.exists(pf):
    for line in open(pf):
        name, secs = line.split()
        phases[name] = phases.get(name, 0) + float(secs)
row["phases"] = phases
row.update(json.loads(extra or "{}"))
with open(out, "a") as f:
    f.write(json.dumps(row) + "\n")
print("  %-6s run %s: %s in %.1f s, %.0f MB written%s" % (method, run, "ok" if row["rc"] == 0 else "FAILED (rc %s)" % row["rc"],
      row.get("wall_s", 0), row.get("write_bytes", 0) / 1048576,
      ", worker peak RSS %.0f MB, %s history events, %s WAL segments" % (row["worker_hwm_kb"] / 1024, row.get("events"), row.get("wal_segments"))
      if "worker_hwm_kb" in row else ""))
PY
}

left_bytes() { du -sbc "$@" 2>/dev/null | tail -1 | cut -f1; }

run_manual() {
  local r=$1 dir="$RUNS_DIR/manual-$1" rc=0
  "$SYS_PYTHON" "$BENCH_DIR/iotree.py" --json "$dir/io.json" -- \
    bash "$BENCH_DIR/manual-restore.sh" --dest "$dir/data" --work "$dir/scratch" --phases "$dir/phases.txt" --wal "$manual_wal" \
    >"$dir/log" 2>&1 || rc=$?
  (( rc == 0 )) || log_tail "$dir/log" 15
  record manual "$r" "$dir" "$rc" "{\"left_bytes\": $(left_bytes "$dir/data" "$dir/scratch")}"
}

run_cloud() {
  local r=$1 dir="$RUNS_DIR/cloud-$1" rc=0
  "$SYS_PYTHON" "$BENCH_DIR/iotree.py" --json "$dir/io.json" -- \
    bash "$BENCH_DIR/cloud-restore.sh" --dest "$dir/data" --work "$dir/scratch" --phases "$dir/phases.txt" \
    >"$dir/log" 2>&1 || rc=$?
  (( rc == 0 )) || log_tail "$dir/log" 15
  record cloud "$r" "$dir" "$rc" "{\"left_bytes\": $(left_bytes "$dir/data" "$dir/scratch")}"
}

run_floor() {
  local r=$1 dir="$RUNS_DIR/floor-$1" rc=0
  "$SYS_PYTHON" "$BENCH_DIR/iotree.py" --json "$dir/io.json" -- \
    bash "$BENCH_DIR/floor.sh" --dest "$dir/data" --phases "$dir/phases.txt" >"$dir/log" 2>&1 || rc=$?
  (( rc == 0 )) || log_tail "$dir/log" 15
  record floor "$r" "$dir" "$rc" "{\"left_bytes\": $(left_bytes "$dir/data")}"
}

# wait_restore CLI_PID LOG PITR_ARGS...: wait for a pitr run's CLI and return its status. When the worker exits
# meanwhile (killed from outside), stop the CLI, terminate the run's workflow (no worker would ever finish it) and
# die. The CLI stopped that way printed nothing, so the workflow id comes from the snapshot's own code
# (bench/pitr-restore-id.js: the id `pitr restore PITR_ARGS...` starts its workflow under).
wait_restore() {
  local cli=$1 log=$2 id
  shift 2
  while kill -0 "$cli" 2>/dev/null; do
    if ! kill -0 "$worker_pid" 2>/dev/null; then
      kill -TERM "$cli" 2>/dev/null || true
      wait "$cli" 2>/dev/null || true
      id=$(node "$BENCH_DIR/pitr-restore-id.js" "$@" 2>>"$log") || id=""
      if [[ -n $id ]]; then
        "$(temporal_bin)" workflow terminate --workflow-id "$id" --reason "bench: the worker exited during the run" >/dev/null 2>&1 \
          || warn "could not terminate workflow $id"
      fi
      log_tail "$INV/worker.log" 10
      die "the worker (pid $worker_pid) exited during the run (see $INV/worker.log); workflow ${id:-?} terminated"
    fi
    sleep 0.5
  done
  wait "$cli"
}

# cli_json_field FILE KEY: KEY of the JSON document `pitr restore --json` printed into FILE ({id, status, result}
# or {id, status, error}), empty when the CLI printed none (it was stopped, or failed before starting the workflow).
cli_json_field() {
  "$SYS_PYTHON" - "$1" "$2" <<'PY'
import json, sys
try:
    print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")
except (OSError, ValueError):
    pass
PY
}

run_pitr() {
  local r=$1 dir="$RUNS_DIR/pitr-$1" rc=0 w0 h0 c0 cw0 hwm id extra cli
  local dest="$dir/data" cli_json="$dir/cli.json"
  # --json: the result is read from the CLI's JSON (stdout, into cli.json), not from its human summary
  local -a pitr_args=(restore --server "$BENCH_SERVER" --target-time "$TARGET" --dest "$dest" --task-queue "$QUEUE" --wait --json)
  w0=$(io_field "$worker_pid" write_bytes); cw0=$(io_field "$worker_pid" cancelled_write_bytes)
  h0=$(io_field "$helper_pid" write_bytes); c0=$(io_field "$helper_pid" cancelled_write_bytes)
  echo 5 >"/proc/$worker_pid/clear_refs"          # reset the worker's peak RSS (VmHWM) for this run
  PITR_TASK_QUEUE=$QUEUE "$SYS_PYTHON" "$BENCH_DIR/iotree.py" --json "$dir/io.json" -- \
    node "$BENCH_DIR/pitr-cli.js" "${pitr_args[@]}" >"$cli_json" 2>"$dir/log" &
  cli=$!
  wait_restore "$cli" "$dir/log" "${pitr_args[@]}" || rc=$?
  # the verify step's PostgreSQL is re-parented to the worker's iotree; let it be reaped before reading
  for _ in $(seq 100); do
    [[ -z $(pgrep -P "$helper_pid" | grep -vx "$worker_pid") ]] && break
    sleep 0.1
  done
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$worker_pid/status")
  id=$(cli_json_field "$cli_json" id)
  local history='{}'
  if [[ -n $id ]]; then
    history=$(node "$BENCH_DIR/pitr-history.js" "$id" 2>>"$dir/log") || history='{}'
  fi
  if (( rc == 0 )); then
    # Untimed: the same SQL check as the other methods (the workflow's verify step already started
    # PostgreSQL, waited for the pause at the target and stopped it, inside the timed run).
    if ! (restored_verify "$dest" "$dir/check-postgres.log") >>"$dir/log" 2>&1; then rc=3; log_tail "$dir/log" 10; fi
  else
    log_tail "$cli_json" 5   # {id, status: FAILED, error}: why the restore failed
    log_tail "$dir/log" 15
  fi
  extra=$("$SYS_PYTHON" - "$history" "$(io_field "$worker_pid" write_bytes)" "$w0" "$(io_field "$helper_pid" write_bytes)" "$h0" \
      "$(io_field "$worker_pid" cancelled_write_bytes)" "$cw0" "$(io_field "$helper_pid" cancelled_write_bytes)" "$c0" \
      "$hwm" "$(left_bytes "$dest" "$PITR_HOME")" "$cli_json" <<'PY'
import json, sys
h = json.loads(sys.argv[1] or "{}")
w1, w0, h1, h0, cw1, cw0, ch1, ch0, hwm, left = map(int, sys.argv[2:12])
# the restore's result as the CLI's --json gives it (RestoreResult); none when the run failed or was stopped
try:
    result = json.load(open(sys.argv[12])).get("result") or {}
except (OSError, ValueError):
    result = {}
# syncAndExtractBaseBackup and stageAndRebuildXlogdb are the fused steps (workflow patch 'fused-steps');
# the others of the first line are those of older code (--src of an earlier commit).
names = {"planRestore": "plan", "syncAndExtractBaseBackup": "download_and_extract", "syncWalRange": "download_wal",
         "stageAndRebuildXlogdb": "stage_and_rebuild_xlogdb", "recoverWithBarman": "recover", "verifyAndFinishRestore": "verify",
         "syncBaseBackup": "download_base", "extractBaseBackup": "extract", "stageInBarmanHome": "stage", "rebuildXlogdb": "rebuild_xlogdb",
         "releaseWorkDir": "cleanup"}
phases = {}
for a in h.get("activities", []):
    if a.get("run_s") is not None:
        n = names.get(a["type"], a["type"])
        phases[n] = round(phases.get(n, 0) + a["run_s"], 3)
print(json.dumps({"worker_write_bytes": (w1 - w0) + (h1 - h0), "worker_cancelled_write_bytes": (cw1 - cw0) + (ch1 - ch0),
                  "worker_hwm_kb": hwm, "events": h.get("events"), "event_types": h.get("eventTypes", {}), "workflow_s": h.get("workflow_s"),
                  "activity_phases": phases, "activities": h.get("activities", []), "left_bytes": left,
                  "wal_segments": (result.get("plan") or {}).get("walSegments"), "wal_registered": result.get("walFilesRegistered")}))
PY
)
  # the CLI itself writes nothing: bytes written are the worker's (and the PostgreSQL it started)
  "$SYS_PYTHON" - "$dir/io.json" "$extra" <<'PY'
import json, os, sys
p = sys.argv[1]
io = json.load(open(p)) if os.path.exists(p) else {}
e = json.loads(sys.argv[2])
io["cli_write_bytes"] = io.get("write_bytes", 0)
io["write_bytes"] = io.get("write_bytes", 0) + e["worker_write_bytes"]
io["cancelled_write_bytes"] = io.get("cancelled_write_bytes", 0) + e["worker_cancelled_write_bytes"]
json.dump(io, open(p, "w"))
PY
  # per-phase times of the pitr run come from the workflow history
  "$SYS_PYTHON" -c 'import json,sys; [print(k, v) for k, v in json.loads(sys.argv[1])["activity_phases"].items()]' "$extra" >"$dir/phases.txt"
  record pitr "$r" "$dir" "$rc" "$extra"
}

# ----- floor components, once: what bounds a one-pass restore on this machine ------------------------------
if [[ ,$methods, == *,floor,* ]]; then
  say "floor components: GET only, gunzip only (GNU gzip, Node zlib), on the base backup tarball"
  data_key=$("$SYS_PYTHON" -c 'import json,sys; print([o["key"] for o in json.load(open(sys.argv[1]))["baseObjects"] if o["key"].endswith(".tar.gz")][0])' "$BENCH_FIXTURE")
  comp="$INV/components.txt"; : >"$comp"
  secs() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.3f", b - a }'; }
  tarball="$RUNS_DIR/component.tar.gz"
  t=$(now_s); s3_get "$data_key" >/dev/null; echo "get_to_devnull $(secs "$t")" >>"$comp"
  s3_get "$data_key" >"$tarball"
  t=$(now_s); gzip -dc <"$tarball" >/dev/null; echo "gzip_dc_to_devnull $(secs "$t")" >>"$comp"
  t=$(now_s); node_gunzip <"$tarball" >/dev/null; echo "node_gunzip_to_devnull $(secs "$t")" >>"$comp"
  t=$(now_s); node_gunzip <"$tarball" | tar tf - >/dev/null; echo "node_gunzip_tar_list $(secs "$t")" >>"$comp"
  mkdir -p "$RUNS_DIR/component-x"
  t=$(now_s); gzip -dc <"$tarball" | tar xf - -C "$RUNS_DIR/component-x"; echo "gzip_dc_tar_x_from_local_file $(secs "$t")" >>"$comp"
  rm -rf "$tarball" "$RUNS_DIR/component-x"
  sed 's/^/  /' "$comp"
fi

# ----- the runs --------------------------------------------------------------------------------------------
say "runs: ${METHODS[*]} x $runs, target $TARGET"
for (( r = 1; r <= runs; r++ )); do
  for m in "${METHODS[@]}"; do
    mkdir -p "$RUNS_DIR/$m-$r"
    sync   # nothing of the previous run left to write back during this one
    "run_$m" "$r"
    restored_kill "$RUNS_DIR/$m-$r/data"
    rm -rf "$RUNS_DIR/$m-$r/data" "$RUNS_DIR/$m-$r/scratch"
  done
done

stop_worker
finish_invocation "$BENCH_DIR/report.py"
