#!/usr/bin/env bash
# Advance vs new restore: on the benchmark fixture (server bench, bench/work/fixture.json), in one invocation,
# alternating run by run (a b a b ...), how long it takes to get to the fixture's target T:
#   (a) restore  `pitr restore --server bench --target-time T --dest <fresh dir> --wait --json`, timed from the
#                command's start to its result (base backup download, WAL, barman recover, verify);
#   (b) advance  a held restore to an earlier target T0 (`pitr restore ... --target-time T0 --hold --wait --json`,
#                NOT timed), then `pitr advance ID --target-time T --json`, timed from the command's start to its
#                return (only the extra WAL, PostgreSQL restarted to replay on), then `pitr finish ID --stop` (not timed).
# Both end in the same checked state, untimed: PostgreSQL started on the result, replay paused at the target, the
# fixture's marker rows checked by SQL (restored_verify, as bench/run-bench.sh does), stopped; a run whose check
# fails is reported as failed and not timed. Each run's destination is removed after its check.
# One worker of its own (task queue pitr-advance-bench-<pid>, work area bench/work/advance/pitr-home) runs a
# snapshot of src/ at HEAD compiled into bench/work/advance/snapshot (never lib/); it is stopped at the end.
# Writes bench/advance-results.md (bench/advance-report.py); raw data in bench/work/results/<time>-advance/.
#
# usage: bench/advance-vs-restore.sh [--runs N] [--t0 TIME] [--t0-offset S] [--out FILE] [--src REV|worktree]
#   --runs N         runs of each method (default 3)
#   --t0 TIME        the held restore's first target (default: the backup's end time + --t0-offset seconds)
#   --t0-offset S    seconds after the backup's end for the default T0 (default 10; pgbench commits continuously)
#   --out FILE       results file (default bench/advance-results.md)
#   --src REV|worktree  code the worker and CLI run (default HEAD, via git archive)
# The fixture must be built (bench/run-bench.sh builds it; this script only checks it is in S3).
# Needs the local stack (bash scripts/stack-up.sh) and root (PostgreSQL and Barman run as postgres).
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
. "$BENCH_DIR/floor.sh"     # s3_get

runs=3 t0="" t0_offset=10 src_from=HEAD out_file="$BENCH_DIR/advance-results.md"
while (( $# )); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --t0) t0=$2; shift 2 ;;
    --t0-offset) t0_offset=$2; shift 2 ;;
    --out) out_file=$2; shift 2 ;;
    --src) src_from=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see $0 --help)" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive whole number"
[[ $t0_offset =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--t0-offset must be a number of seconds"
[[ $src_from == worktree ]] || git -C "$PITR_ROOT" rev-parse --verify -q "$src_from^{commit}" >/dev/null || die "--src: '$src_from' is not a commit (or worktree)"
require_root
load_stack_env
cd "$PITR_ROOT"
PG_BIN=$(pg_bindir)
t_all=$(now_s)

# ----- fixture: must be built and its backup still in S3 --------------------------------------------------------
[[ -s $BENCH_FIXTURE ]] || die "no fixture $BENCH_FIXTURE: build it with bench/run-bench.sh --methods floor --runs 1"
s3_get "${PITR_PREFIX:+${PITR_PREFIX#/}/}$BENCH_SERVER/base/$(fixture_get backup.id)/backup.info" >/dev/null 2>&1 \
  || die "the fixture's backup $(fixture_get backup.id) is not in S3: rebuild it with bench/run-bench.sh --methods floor --runs 1"
TARGET=$(fixture_get targetTime)
if [[ -z $t0 ]]; then
  t0=$("$SYS_PYTHON" - "$(fixture_get backup.endTime)" "$t0_offset" <<'PY'
import datetime, sys
print((datetime.datetime.fromisoformat(sys.argv[1]) + datetime.timedelta(seconds=float(sys.argv[2]))).isoformat())
PY
)
fi
"$SYS_PYTHON" - "$t0" "$TARGET" "$(fixture_get backup.endTime)" <<'PY' || die "T0 ($t0) must lie after the backup's end and before the target $TARGET"
import datetime, sys
t0, t, end = (datetime.datetime.fromisoformat(a) for a in sys.argv[1:4])
sys.exit(0 if end < t0 < t else 1)
PY
say "fixture: $BENCH_FIXTURE (backup $(fixture_get backup.id), ended $(fixture_get backup.endTime)); T0 $t0, target T $TARGET"

# ----- invocation folder, snapshot build, worker ----------------------------------------------------------------
INV="$BENCH_WORK/results/$(date -u +%Y%m%dT%H%M%SZ)$BENCH_SUFFIX-advance"
AWORK="$BENCH_WORK/advance$BENCH_SUFFIX"
RUNS_DIR="$AWORK/runs"
PITR_HOME="$AWORK/pitr-home"
SNAP="$AWORK/snapshot"
export PITR_BENCH_SNAPSHOT=$SNAP                # read by bench/pitr-cli.js
QUEUE="pitr-advance-bench-$$"
export PITR_TASK_QUEUE=$QUEUE                   # the CLI's and the worker's task queue
mkdir -p "$INV" "$AWORK"
chmod 755 "$BENCH_WORK" "$AWORK"
rm -rf "$RUNS_DIR" "$PITR_HOME"; mkdir -p "$RUNS_DIR" "$PITR_HOME"
cp "$BENCH_FIXTURE" "$INV/fixture.json"
RUNS_JSONL="$INV/runs.jsonl"; : >"$RUNS_JSONL"
say "invocation folder: $INV"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$SYS_PYTHON" - "$INV/invocation.json" "$runs" "$t0" "$TARGET" "$BENCH_FIXTURE_NAME" "$QUEUE" <<'PY'
import json, sys
out, runs, t0, target, fixture, queue = sys.argv[1:]
json.dump({"args": {"runs": int(runs), "t0": t0, "target": target, "fixture": fixture, "taskQueue": queue},
           "loadStart": open("/proc/loadavg").read().split()[:3]}, open(out, "w"))
PY

say "building the snapshot of src/ from $src_from (-> $SNAP/lib)"
build_snapshot

worker_pid="" open_id=""
stop_worker() {
  if [[ -n $worker_pid ]] && kill -0 "$worker_pid" 2>/dev/null; then
    kill -TERM "$worker_pid" 2>/dev/null || true
    wait "$worker_pid" 2>/dev/null || true
  fi
  worker_pid=""
}
# cleanup: a held restore still open (interrupted run) is cancelled, which stops its PostgreSQL; then the worker.
cleanup() {
  if [[ -n $open_id ]]; then
    warn "cancelling the held restore $open_id left open"
    timeout 300 node "$BENCH_DIR/pitr-cli.js" cancel "$open_id" >>"$INV/cleanup.log" 2>&1 || warn "could not cancel $open_id (see $INV/cleanup.log)"
  fi
  stop_worker
}
trap cleanup EXIT
trap 'exit 130' INT TERM

worker_log="$INV/worker.log"
WORKER_READY='pitr worker (started|polling)|polling task queue'
PITR_BARMAN_HOME=$PITR_HOME node "$SNAP/lib/src/worker.js" >"$worker_log" 2>&1 &
worker_pid=$!
for _ in $(seq 240); do
  grep -Eq "$WORKER_READY" "$worker_log" 2>/dev/null && break
  kill -0 "$worker_pid" 2>/dev/null || { log_tail "$worker_log"; die "the worker exited at start"; }
  sleep 0.25
done
grep -Eq "$WORKER_READY" "$worker_log" || { log_tail "$worker_log"; die "the worker did not start polling"; }
say "worker pid $worker_pid on task queue $QUEUE (work area $PITR_HOME), code: $SNAP_DESC"

pitr() { node "$BENCH_DIR/pitr-cli.js" "$@"; }
worker_alive() { kill -0 "$worker_pid" 2>/dev/null || die "the worker (pid $worker_pid) exited; see $worker_log"; }

# history ID FILE: the restore's workflow history (bench/pitr-history.js: each activity's scheduled/started/closed
# times), read after the run, untimed; {} when it cannot be read.
history() { node "$BENCH_DIR/pitr-history.js" "$1" >"$2" 2>/dev/null || echo '{}' >"$2"; }

# record METHOD RUN RC WALL HELD_WALL STATUS_NOTE JSON_FILE T_START T_END HISTORY_FILE: one line of runs.jsonl.
record() {
  "$SYS_PYTHON" - "$RUNS_JSONL" "$@" <<'PY'
import json, sys
out, method, run, rc, wall, held_wall, note, jf, t_start, t_end, hf = sys.argv[1:12]
row = {"method": method, "run": int(run), "rc": int(rc), "wall_s": float(wall) if wall else None,
       "held_restore_s": float(held_wall) if held_wall else None, "note": note,
       "t_start": float(t_start) if t_start else None, "t_end": float(t_end) if t_end else None}
try:
    h = json.load(open(hf))
except (OSError, ValueError):
    h = {}
# the activities that ran inside the timed command (for (b): those of the advance, not of the held restore)
acts = [a for a in h.get("activities", []) if row["t_start"] and row["t_end"] and a.get("scheduled") and a.get("closed")
        and row["t_start"] <= a["scheduled"] and a["closed"] <= row["t_end"]]
row["activities"] = [{k: a.get(k) for k in ("type", "scheduled", "started", "closed", "run_s", "outcome", "attempt")} for a in acts]
row["history_events"] = h.get("events")
try:
    doc = json.load(open(jf))
except (OSError, ValueError):
    doc = {}
if method == "restore":
    res = doc.get("result") or {}
    plan = res.get("plan") or {}
    row["id"] = doc.get("id")
    row["wal_segments"] = plan.get("walSegments")
    row["wal"] = res.get("wal")
    row["base"] = res.get("base")
    row["last_replayed_commit"] = (res.get("verify") or {}).get("lastReplayedCommit")
else:
    row["wal"] = doc.get("wal")
    row["wal_segments"] = (doc.get("plan") or {}).get("walSegments")
    row["last_replayed_commit"] = (doc.get("verify") or {}).get("lastReplayedCommit")
    row["verify_state"] = (doc.get("verify") or {}).get("state")
with open(out, "a") as f:
    f.write(json.dumps(row) + "\n")
w = row.get("wal") or {}
print("  %-7s run %s: %s%s%s" % (method, run,
      ("ok in %.1f s" % row["wall_s"]) if row["rc"] == 0 else "FAILED (rc %s%s)" % (row["rc"], ", " + note if note else ""),
      (", held restore to T0 took %.1f s (untimed)" % row["held_restore_s"]) if row["held_restore_s"] else "",
      (", WAL fetched %.1f MB in %s objects (%s skipped)" % ((w.get("bytesFetched") or 0) / 2**20, w.get("objects"), w.get("objectsSkipped"))) if w else ""))
PY
}

# json_field FILE KEY: top-level KEY of the JSON document in FILE, empty when none.
json_field() {
  "$SYS_PYTHON" - "$1" "$2" <<'PY'
import json, sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
    print("" if v is None else v)
except (OSError, ValueError, AttributeError):
    pass
PY
}

secs_since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# check DEST DIR: untimed, the same SQL check as run-bench.sh (start, paused at the target, markers, stop).
check() {
  if (restored_verify "$1" "$2/check-postgres.log") >>"$2/log" 2>&1; then return 0; fi
  log_tail "$2/log" 10
  return 1
}

run_restore() {
  local r=$1 dir="$RUNS_DIR/restore-$1" rc=0 t1 t2 wall="" note=""
  local dest="$dir/data"
  t1=$(now_s)
  pitr restore --server "$BENCH_SERVER" --target-time "$TARGET" --dest "$dest" --task-queue "$QUEUE" --wait --json \
    >"$dir/restore.json" 2>"$dir/log" || rc=$?
  t2=$(now_s)
  if (( rc == 0 )); then
    if check "$dest" "$dir"; then wall=$(secs_since "$t1" "$t2"); else rc=3; note="SQL check failed"; fi
  else
    note="pitr restore exited $rc"; log_tail "$dir/restore.json" 5; log_tail "$dir/log" 10
  fi
  [[ -n $(json_field "$dir/restore.json" id) ]] && history "$(json_field "$dir/restore.json" id)" "$dir/history.json"
  record restore "$r" "$rc" "$wall" "" "$note" "$dir/restore.json" "$t1" "$t2" "$dir/history.json"
}

run_advance() {
  local r=$1 dir="$RUNS_DIR/advance-$1" rc=0 t1="" t2="" h1 h2 wall="" held_wall="" note="" id status
  local dest="$dir/data"
  # the held restore to T0: not timed
  h1=$(now_s)
  pitr restore --server "$BENCH_SERVER" --target-time "$t0" --dest "$dest" --task-queue "$QUEUE" --hold --wait --json \
    >"$dir/held.json" 2>"$dir/log" || rc=$?
  h2=$(now_s)
  id=$(json_field "$dir/held.json" id); status=$(json_field "$dir/held.json" status)
  [[ -n $id ]] && open_id=$id
  if (( rc != 0 )) || [[ $status != HELD ]]; then
    (( rc != 0 )) || rc=4
    note="pitr restore --hold --wait to T0 exited $rc, status '${status:-none}'"
    log_tail "$dir/held.json" 5; log_tail "$dir/log" 10
  else
    held_wall=$(secs_since "$h1" "$h2")
    worker_alive
    # the advance: timed from the command's start to its return
    t1=$(now_s)
    pitr advance "$id" --target-time "$TARGET" --json >"$dir/advance.json" 2>>"$dir/log" || rc=$?
    t2=$(now_s)
    if (( rc != 0 )); then
      note="pitr advance exited $rc"; log_tail "$dir/advance.json" 5; log_tail "$dir/log" 10
    fi
    # finish --stop (not timed), whether the advance worked or not: it frees the work area and stops PostgreSQL
    local frc=0
    pitr finish "$id" --stop --json >"$dir/finish.json" 2>>"$dir/log" || frc=$?
    if (( frc == 0 )); then open_id=""; else
      log_tail "$dir/log" 10
      if (( rc == 0 )); then rc=5; note="pitr finish --stop exited $frc"; fi
    fi
    if (( rc == 0 )); then
      if check "$dest" "$dir"; then wall=$(secs_since "$t1" "$t2"); else rc=3; note="SQL check failed"; fi
    fi
  fi
  [[ -n $id ]] && history "$id" "$dir/history.json"
  record advance "$r" "$rc" "$wall" "$held_wall" "$note" "$dir/advance.json" "${t1:-}" "${t2:-}" "$dir/history.json"
}

# ----- the runs -------------------------------------------------------------------------------------------------
say "runs: restore advance x $runs"
for (( r = 1; r <= runs; r++ )); do
  for m in restore advance; do
    worker_alive
    mkdir -p "$RUNS_DIR/$m-$r"
    sync   # nothing of the previous run left to write back during this one
    "run_$m" "$r"
    restored_kill "$RUNS_DIR/$m-$r/data"
    if [[ -n $open_id ]]; then
      # a held restore the run could not finish: cancel it (stops its PostgreSQL) before the next run
      timeout 300 node "$BENCH_DIR/pitr-cli.js" cancel "$open_id" >>"$RUNS_DIR/$m-$r/log" 2>&1 && open_id="" \
        || warn "could not cancel $open_id (see $RUNS_DIR/$m-$r/log)"
    fi
    # keep the run's small files (JSON, logs) with the invocation, then free the destination
    for f in "$RUNS_DIR/$m-$r"/*.json "$RUNS_DIR/$m-$r"/log "$RUNS_DIR/$m-$r"/check-postgres.log; do
      [[ -f $f ]] && cp "$f" "$INV/$m-$r.$(basename "$f")"
    done
    rm -rf "$RUNS_DIR/$m-$r/data"
  done
done

stop_worker
finish_invocation "$BENCH_DIR/advance-report.py"
