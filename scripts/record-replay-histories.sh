#!/usr/bin/env bash
# Records the histories test/replay/replay.test.ts replays (test/replay/histories/restore-*.json) from
# the workflow as it is now, on the local stack: a completed restore (restore-ok), one refused as
# unreachable (restore-unreachable: a target after the archive's last commit) and one cancelled while
# it runs (restore-cancelled). Each is driven through the pitr CLI against a worker of this script's own
# (own task queue), then exported with `temporal workflow show -o json`. When to run it: docs/versioning.md.
#
#   npm run -s stack:up && npm run -s fixture     # once: the stack and the default fixture (server pg)
#   bash scripts/record-replay-histories.sh       # builds, records, prints the three files it wrote
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
read -r target_ok target_cancel target_unreachable < <(node -e '
const at = Object.fromEntries(require(process.argv[1]).markers.map((m) => [m.label, Date.parse(m.committedAt)]));
const iso = (ms) => new Date(ms).toISOString();
const between = (a, b) => iso((at[a] + at[b]) / 2);
console.log(between("after-b2-1", "after-b2-2"), between("after-b2-2", "after-b2-3"), iso(Math.max(...Object.values(at)) + 3_600_000));
' "$FIXTURE_FILE")

pitr() { node bin/pitr.js "$@"; }
json_field() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s.trim().split("\n").at(-1))[process.argv[1]] ?? ""))' "$1"; }

# history_events FILE EXPRESSION: EXPRESSION of the exported history's `events`.
history_events() { node -e 'const { events } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"; }

# save ID NAME EXPECTED_END: export the restore's history and check it ended as EXPECTED_END.
save() {
  local id=$1 name=$2 expected_end=$3 file="$HISTORIES/$2.json" exported="$work/$2.json" end
  "$TEMPORAL" workflow show --workflow-id "$id" --output json >"$exported"
  end=$(history_events "$exported" 'events.at(-1).eventType')
  [[ $end == "$expected_end" ]] || die "restore $id ended with $end, expected $expected_end: $name.json not written (worker log: $worker_log)"
  mv "$exported" "$file"
  say "$name.json: restore $id, $(history_events "$file" events.length) events, $end"
}

say "worker on task queue $run (log $worker_log); recording into $HISTORIES"

id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_ok" --dest "$work/ok" --task-queue "$run" --wait --json | json_field id)
save "$id" restore-ok EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED

# The restore fails (exit status 1) at planning, as TargetUnreachable.
id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_unreachable" --dest "$work/unreachable" --task-queue "$run" --wait --json | json_field id) || true
[[ -n $id ]] || die "the unreachable restore did not start"
save "$id" restore-unreachable EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
grep -q '"type": "TargetUnreachable"' "$HISTORIES/restore-unreachable.json" || die "restore $id failed, but not as TargetUnreachable"

# Cancelled while a step runs: the cancel is sent once the base backup step has started (pitr cancel
# takes a few seconds to connect, so it lands in SyncBase or a later step); that step stops through its
# heartbeats, then abandonRestore cleans up after it. The phase is polled with the temporal CLI (quick).
phase_of() {
  "$TEMPORAL" workflow describe --workflow-id "$1" --output json | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const field = JSON.parse(s).workflowExecutionInfo.searchAttributes?.indexedFields?.RestorePhase;
  console.log(field ? JSON.parse(Buffer.from(field.data, "base64").toString()) : "");
});'
}
id=$(pitr restore --server "$SERVER_NAME" --target-time "$target_cancel" --dest "$work/cancelled" --task-queue "$run" --json | json_field id)
past_planning() { local phase; phase=$(phase_of "$1"); [[ -n $phase && $phase != Plan ]]; }
wait_for 300 "restore $id to start its base backup step" past_planning "$id"
pitr cancel "$id" --wait >/dev/null || die "restore $id could not be cancelled (finished first?): run the script again"
save "$id" restore-cancelled EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
cancelled_step=$(history_events "$HISTORIES/restore-cancelled.json" '(() => {
  const requested = events.find((e) => e.activityTaskCancelRequestedEventAttributes);
  const scheduled = requested && events.find((e) => e.eventId === requested.activityTaskCancelRequestedEventAttributes.scheduledEventId);
  return scheduled ? scheduled.activityTaskScheduledEventAttributes.activityType.name : "";
})()')
[[ -n $cancelled_step ]] || die "restore $id was cancelled between steps, not during one: run the script again"
say "restore-cancelled.json: the cancel stopped $cancelled_step while it ran"
