#!/usr/bin/env bash
# Records the histories test/replay/replay.test.ts replays (test/replay/histories/restore-*.json) from
# the workflow as it is now, on the local stack: a completed restore (restore-ok), one refused as
# unreachable (restore-unreachable: a target after the archive's last commit), one held, advanced and
# finished (restore-held: two accepted updates) and one cancelled while it runs (restore-cancelled). Each is driven through the pitr CLI against a worker of this script's own
# (own task queue), then exported with `temporal workflow show -o json`. When to run it: docs/versioning.md.
#
#   npm run -s stack:up && npm run -s fixture     # once: the stack and the default fixture (server pg)
#   bash scripts/record-replay-histories.sh       # builds, records, prints the four files it wrote
. "$(dirname "$0")/lib.sh"
cd "$PITR_ROOT"
load_stack_env
[[ -s $FIXTURE_FILE ]] || die "$FIXTURE_FILE not found: build the fixture first with: npm run fixture"

HISTORIES="$PITR_ROOT/test/replay/histories"
TEMPORAL=$(temporal_bin)
run="record-$$"
export PITR_TASK_QUEUE="$run"
work="$STACK_DIR/restored/$run"
worker_log="$LOG_DIR/$run-worker.log"
mkdir -p "$work" "$LOG_DIR"

# The histories must come from the workflow code in the tree, not from an older build.
npm run -s build >/dev/null

node bin/pitr-worker.js >"$worker_log" 2>&1 &
worker_pid=$!
cleanup() {
  kill -TERM "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Targets from the fixture's marker commits: halfway between two of them, and an hour after the last one.
read -r target_ok target_cancel target_unreachable target_held < <(node -e '
const at = Object.fromEntries(require(process.argv[1]).markers.map((m) => [m.label, Date.parse(m.committedAt)]));
const iso = (ms) => new Date(ms).toISOString();
const between = (a, b) => iso((at[a] + at[b]) / 2);
console.log(between("after-b2-1", "after-b2-2"), between("after-b2-2", "after-b2-3"), iso(Math.max(...Object.values(at)) + 3_600_000), between("after-b1-1", "after-b1-2"));
' "$FIXTURE_FILE")

pitr() { node bin/pitr.js "$@"; }
json_field() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s.trim().split("\n").at(-1))[process.argv[1]] ?? ""))' "$1"; }

# history_events FILE EXPRESSION: EXPRESSION of the exported history's `events`.
history_events() { node -e 'const { events } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"; }

# export ID: the restore's history, as `temporal workflow show` writes it, into the scratch area; prints its path.
export_history() {
  local exported; exported="$work/$(date +%s%N).json"
  "$TEMPORAL" workflow show --workflow-id "$1" --output json >"$exported"
  printf '%s\n' "$exported"
}

# save ID NAME EXPECTED_END [CHECK]: export the restore's history; it becomes NAME.json only if it ended
# as EXPECTED_END and CHECK (a condition on its events) holds.
save() {
  local id=$1 name=$2 expected_end=$3 check=${4:-true} exported end
  exported=$(export_history "$id")
  end=$(history_events "$exported" 'events.at(-1).eventType')
  [[ $end == "$expected_end" ]] || die "restore $id ended with $end, expected $expected_end: $name.json not written (worker log: $worker_log)"
  [[ $(history_events "$exported" "$check") == true ]] || die "restore $id does not satisfy $check: $name.json not written"
  mv "$exported" "$HISTORIES/$name.json"
  say "$name.json: restore $id, $(history_events "$HISTORIES/$name.json" events.length) events, $end"
}

say "worker on task queue $run (log $worker_log); recording into $HISTORIES"

id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_ok" --dest "$work/ok" --task-queue "$run" --wait --json | json_field id)
save "$id" restore-ok EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED

# The restore fails (exit status 1) at planning, as TargetUnreachable.
id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_unreachable" --dest "$work/unreachable" --task-queue "$run" --wait --json | json_field id) || true
[[ -n $id ]] || die "the unreachable restore did not start"
save "$id" restore-unreachable EVENT_TYPE_WORKFLOW_EXECUTION_FAILED \
  'events.at(-1).workflowExecutionFailedEventAttributes.failure.applicationFailureInfo?.type === "TargetUnreachable"'
# A failed restore keeps its work area for `pitr resume`; this one will not be resumed.
rm -rf "$(node -e '
const { loadWorkerSettings } = require("./lib/src/settings");
const { restoreWorkDir } = require("./lib/src/activities/deps");
console.log(restoreWorkDir(loadWorkerSettings(), { server: process.argv[1], destination: process.argv[2] }).root);
' "$SERVER_NAME" "$work/unreachable")"

# Held (--hold): at the target, advanced once (an accepted update), then finished with promote (another).
id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_held" --dest "$work/held" --task-queue "$run" --hold --wait --json | json_field id)
[[ -n $id ]] || die "the held restore did not start"
pitr advance "$id" --target-time "$target_ok" --json >/dev/null || die "restore $id could not be advanced"
pitr finish "$id" --promote --json >/dev/null || die "restore $id could not be finished"
save "$id" restore-held EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED \
  'events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length === 2'

# Cancelled while a step runs (planRestore or syncAndExtractBaseBackup: the cancel is sent as soon as the
# restore has started), so that the step is asked to stop and abandonRestore then cleans up. A cancel that
# lands between two steps (the CLI's start-up time varies) is tried again.
cancelled_during_a_step='events.some((e) => e.activityTaskCancelRequestedEventAttributes)'
for attempt in 1 2 3; do
  id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_cancel" --dest "$work/cancelled-$attempt" --task-queue "$run" --json | json_field id)
  pitr cancel "$id" --wait >/dev/null || die "restore $id could not be cancelled"
  [[ $(history_events "$(export_history "$id")" "$cancelled_during_a_step") == true ]] && break
  say "restore $id was cancelled between two steps; trying again"
done
save "$id" restore-cancelled EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED "$cancelled_during_a_step"
