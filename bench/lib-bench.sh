# shellcheck shell=bash disable=SC2034
# Shared by the benchmark scripts in bench/: locations, the benchmark fixture, and starting
# PostgreSQL on a restored directory until replay pauses at the target. Source it after
# scripts/lib.sh: `. "$(dirname "$0")/../scripts/lib.sh"; . "$(dirname "$0")/lib-bench.sh"`.

BENCH_DIR="$PITR_ROOT/bench"
BENCH_WORK="$BENCH_DIR/work"                    # git-ignored: source cluster, restores, results
BENCH_POLL_S=0.25                               # same poll interval as the worker's verify step

# bench_select_fixture NAME: the cached benchmark fixture the scripts use; several stay side by side.
# Fixture NAME has the server folder bench-NAME/ in the bucket, bench/work/fixture-NAME.json, its source
# cluster in bench/work/source-NAME on a port of 54340-54399 derived from the name, and run-bench.sh's
# folders bench/work/runs-NAME, snapshot-NAME, pitr-home-NAME (bench_work_path). The name "default" keeps
# the original ones: bench/, bench/work/fixture.json, bench/work/source, port 54339, bench/work/runs, ...
# Exported as PITR_BENCH_FIXTURE_NAME, so that the scripts a benchmark starts use the same fixture;
# PITR_BENCH_SOURCE_PORT overrides the port.
bench_select_fixture() {
  local name=$1
  [[ $name =~ ^[a-z0-9][a-z0-9-]{0,39}$ ]] || die "fixture name '$name': expected 1-40 characters of a-z, 0-9 and '-', not starting with '-'"
  export PITR_BENCH_FIXTURE_NAME=$name
  BENCH_FIXTURE_NAME=$name
  if [[ $name == default ]]; then
    BENCH_SUFFIX=""
    BENCH_SOURCE_PORT="${PITR_BENCH_SOURCE_PORT:-54339}"
  else
    BENCH_SUFFIX="-$name"
    BENCH_SOURCE_PORT="${PITR_BENCH_SOURCE_PORT:-$(( 54340 + $(cksum <<<"$name" | cut -d' ' -f1) % 60 ))}"
  fi
  BENCH_SERVER="bench$BENCH_SUFFIX"             # server folder in the bucket (the test fixture is 'pg')
  BENCH_FIXTURE="$BENCH_WORK/fixture$BENCH_SUFFIX.json"
}
bench_select_fixture "${PITR_BENCH_FIXTURE_NAME:-default}"

# bench_work_path BASE: bench/work/BASE for the default fixture, bench/work/BASE-NAME for fixture NAME.
bench_work_path() { printf '%s\n' "$BENCH_WORK/$1$BENCH_SUFFIX"; }

# bench_source_dir: the fixture's source cluster folder under bench/work (bench_work_path source), or a
# /var/tmp folder when postgres cannot reach bench/work.
bench_source_dir() {
  mkdir -p "$BENCH_WORK"
  if runuser -u postgres -- test -x "$BENCH_WORK" 2>/dev/null; then
    bench_work_path source
  else
    printf '/var/tmp/pitr-bench-source-%s%s\n' "$(printf '%s' "$PITR_ROOT" | md5sum | cut -c1-10)" "$BENCH_SUFFIX"
  fi
}

# bench_source_paths: the variables scripts/lib.sh's source-cluster functions use, for the bench cluster.
bench_source_paths() {
  SOURCE_DIR=$(bench_source_dir)
  SOURCE_DATA="$SOURCE_DIR/data"
  SOURCE_RUN="$SOURCE_DIR/run"
  SOURCE_LOG="$SOURCE_DIR/postgres.log"
  SOURCE_PORT="$BENCH_SOURCE_PORT"
  PG_BIN=$(pg_bindir) || die "no PostgreSQL server found in /usr/lib/postgresql/*/bin; run scripts/bootstrap.sh"
}

# fixture_get KEY: one value of the fixture json, $BENCH_FIXTURE (dotted path, lists joined by commas).
fixture_get() {
  "$SYS_PYTHON" - "$BENCH_FIXTURE" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].split("."):
    v = v[int(part)] if isinstance(v, list) else v[part]
print(",".join(map(str, v)) if isinstance(v, list) else v)
PY
}

free_port() { "$SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --------------------------------------------------------------------------------------------------
# A PostgreSQL server on a restored data directory: private port and socket, loopback only, no archiving.
# --------------------------------------------------------------------------------------------------

# restored_env [aws]: the environment of the restored postmaster (with the AWS settings for a
# barman-cloud-wal-restore restore_command when the first argument is "aws").
restored_env() {
  RESTORED_ENV=("PATH=$PG_BIN:/usr/local/bin:/usr/bin:/bin" "HOME=/var/lib/postgresql" "LANG=C.UTF-8" "LC_ALL=C.UTF-8" "TZ=UTC")
  if [[ ${1:-} == aws ]]; then
    local v
    for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE; do
      [[ -n ${!v:-} ]] && RESTORED_ENV+=("$v=${!v}")
    done
  fi
}

# restored_start DATA LOG [aws]: start PostgreSQL and wait until it accepts connections (hot standby: at
# consistency; pg_ctl fails if the postmaster dies first); sets RESTORED_PORT, RESTORED_SOCK, RESTORED_DATA.
restored_start() {
  local data=$1 log=$2
  restored_env "${3:-}"
  RESTORED_DATA=$data
  RESTORED_SOCK=$(mktemp -d /tmp/pitr-bench-pg-XXXXXX)
  chown postgres: "$RESTORED_SOCK"
  RESTORED_PORT=$(free_port)
  touch "$log"; chown postgres: "$log"
  (cd / && runuser -u postgres -- env -i "${RESTORED_ENV[@]}" "$PG_BIN/pg_ctl" -D "$data" -l "$log" \
      -o "-p $RESTORED_PORT -k $RESTORED_SOCK -c listen_addresses=127.0.0.1 -c archive_mode=off" -w -t 3600 start >/dev/null) \
    || { log_tail "$log"; die "PostgreSQL did not start on $data"; }
}

restored_psql() {
  (cd / && runuser -u postgres -- env -i PGTZ=UTC PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 \
      -h "$RESTORED_SOCK" -p "$RESTORED_PORT" -d postgres -c "$1")
}

# restored_wait_paused LOG: poll until replay is paused at the target (pg_ctl -w success proves nothing:
# it only means consistency);
# dies with the server's FATAL lines when it stops, or when it promoted instead of pausing.
restored_wait_paused() {
  local log=$1 state deadline=$(( $(date +%s) + ${PITR_VERIFY_TIMEOUT_S:-3600} ))
  while :; do
    if state=$(restored_psql "select pg_is_in_recovery()::text || ' ' || coalesce(pg_get_wal_replay_pause_state(), '')" 2>/dev/null); then
      [[ $state == "true paused" ]] && return 0
      [[ $state == false* ]] && die "PostgreSQL on $RESTORED_DATA left recovery (promoted) instead of pausing at the target"
    elif ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RESTORED_DATA" status >/dev/null 2>&1; then
      grep -E 'FATAL|PANIC' "$log" >&2 || log_tail "$log"
      die "PostgreSQL on $RESTORED_DATA stopped during recovery; see $log"
    fi
    (( $(date +%s) < deadline )) || die "PostgreSQL on $RESTORED_DATA did not pause at the target in time; see $log"
    sleep "$BENCH_POLL_S"
  done
}

# restored_check_markers: the marker rows committed before the target are there, those after are not.
restored_check_markers() {
  local want have
  want=$(fixture_get expectPresent)
  have=$(restored_psql "select coalesce(string_agg(label, ',' order by label collate \"C\"), '') from markers")
  local sorted_want
  sorted_want=$(tr ',' '\n' <<<"$want" | LC_ALL=C sort | paste -sd, -)
  [[ $have == "$sorted_want" ]] \
    || die "restored $RESTORED_DATA holds markers [$have], expected exactly [$sorted_want] (absent: $(fixture_get expectAbsent))"
}

restored_stop() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$RESTORED_DATA" -m fast -w -t 300 stop >/dev/null \
    || die "could not stop PostgreSQL on $RESTORED_DATA"
  rm -rf "$RESTORED_SOCK"
}

# restored_kill DATA: stop a server a failed run left on DATA (immediate mode), if any.
restored_kill() {
  [[ -f $1/postmaster.pid ]] || return 0
  runuser -u postgres -- "$(pg_bindir)/pg_ctl" -D "$1" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
}

# restored_verify DATA LOG [aws]: start, wait until paused at the target, check the markers by SQL, stop.
restored_verify() {
  restored_start "$1" "$2" "${3:-}"
  restored_wait_paused "$2"
  restored_check_markers
  restored_stop
}

# phase NAME START: append "NAME seconds" to $PHASES_FILE (when set).
phase() {
  [[ -n ${PHASES_FILE:-} ]] || return 0
  awk -v n="$1" -v a="$2" -v b="$(now_s)" 'BEGIN { printf "%s %.3f\n", n, b - a }' >>"$PHASES_FILE"
}

# build_snapshot: compile src/ of $src_from (a commit: git archive, read-only; or `worktree`) into $SNAP/lib, and write
# what was built into $INV/code.txt (SNAP_DESC): a build no other `npm run build` or edit can change under a running
# benchmark. Used by run-bench.sh and advance-vs-restore.sh.
build_snapshot() {
  rm -rf "$SNAP"; mkdir -p "$SNAP"
  if [[ $src_from != worktree ]]; then
    git -C "$PITR_ROOT" archive "$src_from" src | tar xf - -C "$SNAP"
    SNAP_DESC="commit $(git -C "$PITR_ROOT" rev-parse --short "$src_from") ($src_from: $(git -C "$PITR_ROOT" log -1 --format=%s "$src_from" | cut -c1-80))"
  else
    cp -r "$PITR_ROOT/src" "$SNAP/src"
    SNAP_DESC="working tree (HEAD $(git -C "$PITR_ROOT" rev-parse --short HEAD) + $(git -C "$PITR_ROOT" status --porcelain -- src | wc -l) changed files in src/)"
  fi
  cat >"$SNAP/tsconfig.json" <<EOF
{ "extends": "$PITR_ROOT/tsconfig.json",
  "compilerOptions": { "outDir": "lib", "rootDir": ".", "types": ["node"], "sourceMap": false },
  "include": ["src/**/*.ts"] }
EOF
  "$PITR_ROOT/node_modules/.bin/tsc" -p "$SNAP/tsconfig.json" || die "the snapshot of src/ ($SNAP_DESC) does not compile"
  # The workflow bundle the worker loads (as npm run build makes it), when the code has the bundler.
  if [[ -f $SNAP/lib/src/workflow-bundle.js ]]; then
    node "$SNAP/lib/src/workflow-bundle.js" >/dev/null || die "the snapshot's workflow code does not bundle"
  fi
  printf '%s\n' "$SNAP_DESC" >"$INV/code.txt"
}

# finish_invocation REPORT: records the load average at the end and the invocation's total time (since $t_all) in
# $INV/invocation.json, then writes $out_file with the report script REPORT. Used by run-bench.sh and advance-vs-restore.sh.
finish_invocation() {
  "$SYS_PYTHON" - "$INV/invocation.json" "$(elapsed "$t_all")" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["loadEnd"] = open("/proc/loadavg").read().split()[:3]; d["totalSeconds"] = float(sys.argv[2])
json.dump(d, open(p, "w"))
PY
  say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$SYS_PYTHON" "$1" "$INV" "$out_file"
}
