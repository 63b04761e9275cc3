#!/usr/bin/env bash
# Build a real barman-cloud fixture against the running stack (scripts/stack-up.sh): a source PostgreSQL
# cluster that archives its WAL with barman-cloud-wal-archive into s3://$PITR_BUCKET/<server>/, pgbench
# data, barman-cloud-backup backups and marker rows committed at known times. Writes
# .stack/fixtures/<server>.json (the case's parameters, backup ids and times from the real backup.info
# objects, markers from SQL, restore points) and stops the source cluster cleanly.
#
# The case is given by parameters (the compatibility matrix is scripts/fixture-matrix.txt):
#   --server NAME              server folder in the bucket and fixture name (default pg)
#   --barman 3.4|3.19.1        the barman-cloud version that writes the backups and archives the WAL
#                              (3.4: Debian's in /usr/bin; 3.19.1: the venv made by bootstrap; default
#                              the newest). The postmaster's archive_command runs that version's
#                              barman-cloud-wal-archive by absolute path.
#   --base-compression gzip|bzip2|snappy|lz4|none            (default gzip)
#   --wal-compression  gzip|bzip2|xz|zstd|lz4|snappy|none     (default gzip)
#   --pg-major 15|17           PostgreSQL of the source cluster (default 15)
#   --shape full|small|failover|tablespace
#                              full (default for server pg): two backups and markers before, between,
#                              during and after them, restore point after-b2-1, pgbench scale 3.
#                              small (default for other servers): pgbench scale 1, marker before-b1-1, one
#                              backup, then markers after-b1-1..3 a second apart, restore point after-b1-2
#                              right after after-b1-2, a final WAL switch.
#                              failover: like small (scale 1, before-b1-1, one backup on timeline 1, after-b1-1..3),
#                              then a point-in-time copy (barman-cloud-restore, barman-cloud-wal-restore as
#                              restore_command) recovered to a time between after-b1-1 and after-b1-2 and promoted:
#                              timeline 2, archiving into the same server folder (00000002.history, its segments).
#                              Markers tl2-1, tl2-2 on timeline 2; then, on the original's timeline 1, an idle
#                              stretch (three segments with WAL but no commit) and after-b1-4.
#                              The fixture json gives each marker its timelines and the branch (switch LSN).
#                              tablespace: like small, but the source has a tablespace ts1 in $SOURCE_DIR/tablespaces/ts1
#                              (owned by postgres) holding table ts_rows: 1000 seed rows before the backup, and with
#                              each marker after-b1-1..3 a row of that label and an update of a third of the seed
#                              rows in the same transaction (a restore proves it replayed into the relocated
#                              tablespace). Then max_connections is raised (ALTER SYSTEM, restart) and markers
#                              after-raise-1, after-raise-2 a second apart follow (a restore past the raise pauses on
#                              "insufficient parameter settings"). The json gives "tablespaces" (name, oid, location,
#                              table) and "parameterRaise" (setting, from, to, afterMarker).
#   --rebuild                  build again even when the fixture is up to date
# Idempotent per server: when .stack/fixtures/<server>.json exists with the same parameters and the
# bucket still holds its backups it only prints it; otherwise it wipes the bucket's <server>/ folder and
# the source cluster (one folder shared by all fixtures, built one after another) and builds again.
# .stack/fixture.json is a link to the default fixture, .stack/fixtures/pg.json.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: $0 [--server NAME] [--barman $BARMAN_DEBIAN|$BARMAN_NEWEST] [--base-compression gzip|bzip2|snappy|lz4|none]
       [--wal-compression gzip|bzip2|xz|zstd|lz4|snappy|none] [--pg-major 15|17] [--shape full|small|failover|tablespace] [--rebuild]"
server=pg barman=$BARMAN_NEWEST base_comp=gzip wal_comp=gzip pg_major=15 shape="" rebuild=0
while (( $# )); do
  arg=$1; shift
  value=""
  case $arg in
    --*=*) value=${arg#*=}; arg=${arg%%=*} ;;
    --server|--barman|--base-compression|--wal-compression|--pg-major|--shape)
      (( $# )) || die "$arg needs a value ($usage)"
      value=$1; shift ;;
  esac
  case $arg in
    --server) server=$value ;;
    --barman) barman=$value ;;
    --base-compression) base_comp=$value ;;
    --wal-compression) wal_comp=$value ;;
    --pg-major) pg_major=$value ;;
    --shape) shape=$value ;;
    --rebuild) rebuild=1 ;;
    -h|--help) say "$usage"; exit 0 ;;
    *) die "unknown argument '$arg' ($usage)" ;;
  esac
done
[[ -n $shape ]] || { if [[ $server == "$SERVER_NAME" ]]; then shape=full; else shape=small; fi; }

# ----- the case's parameters ---------------------------------------------------------------------------
[[ $server =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "--server '$server': letters, digits, '.', '_' and '-' only"
case $barman in "$BARMAN_DEBIAN"|"$BARMAN_NEWEST") ;; *) die "--barman '$barman': $BARMAN_DEBIAN or $BARMAN_NEWEST" ;; esac
case $base_comp in
  gzip|bzip2|snappy|lz4) base_flags=("--$base_comp") ;;
  none) base_flags=() ;;
  *) die "--base-compression '$base_comp': gzip, bzip2, snappy, lz4 or none" ;;
esac
case $wal_comp in
  gzip|bzip2|xz|zstd|lz4|snappy) wal_flags=("--$wal_comp") ;;
  none) wal_flags=() ;;
  *) die "--wal-compression '$wal_comp': gzip, bzip2, xz, zstd, lz4, snappy or none" ;;
esac
if [[ $barman == "$BARMAN_DEBIAN" ]]; then
  # barman-cloud-backup --lz4 came in 3.18; barman-cloud-wal-archive --xz/--zstd/--lz4 in 3.12.
  [[ $base_comp == lz4 ]] && die "barman-cloud-backup $barman has no --lz4 (3.18+)"
  case $wal_comp in xz|zstd|lz4) die "barman-cloud-wal-archive $barman has no --$wal_comp (3.12+)" ;; esac
fi
[[ $pg_major =~ ^[0-9]+$ ]] || die "--pg-major '$pg_major': a PostgreSQL major version such as 15 or 17"
case $shape in full) nbackups=2 ;; small|failover|tablespace) nbackups=1 ;; *) die "--shape '$shape': full, small, failover or tablespace" ;; esac

require_root
id postgres >/dev/null 2>&1 || die "no postgres user: run scripts/bootstrap.sh (it installs postgresql)"
BARMAN_BIN_FOR_CASE=$(barman_bindir "$barman") \
  || die "barman-cloud $barman is not installed (expected in $(barman_venv_dir "$barman")/bin or /usr/bin): run scripts/bootstrap.sh"
PG_BIN_FOR_CASE=$(pg_bindir_for "$pg_major") \
  || die "no PostgreSQL $pg_major binaries (neither /usr/lib/postgresql/$pg_major/bin nor the .tools toolset for 17): run scripts/bootstrap.sh"
load_stack_env

# One fixture build at a time: they share the source cluster's folder and port.
mkdir -p "$RUN_DIR" "$FIXTURES_DIR"
exec 8>"$RUN_DIR/fixture.lock"
flock -w 900 8 || die "another scripts/make-fixture.sh holds $RUN_DIR/fixture.lock"

PREFIX=${PITR_PREFIX:-}; PREFIX=${PREFIX#/}; PREFIX=${PREFIX%/}
SERVER_PREFIX="${PREFIX:+$PREFIX/}$server/"
ENDPOINT=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
DEST=$(s3_url)
FIXTURE_OUT="$FIXTURES_DIR/$server.json"
FIXTURE_LOG_DIR="$LOG_DIR/fixtures/$server"
mkdir -p "$LOG_DIR/fixtures"
params_json="$LOG_DIR/fixtures/$server.params.json"
# The script's own digest is a parameter too: a fixture built by another version of this script (other shapes,
# other markers) is built again rather than reused from an earlier run's .stack.
script_digest=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
printf '{"barmanCloudVersion": "%s", "baseCompression": "%s", "walCompression": "%s", "pgMajor": %s, "shape": "%s", "builtByScript": "%s"}\n' \
  "$barman" "$base_comp" "$wal_comp" "$pg_major" "$shape" "$script_digest" >"$params_json"
case_text="server $server: barman-cloud $barman, base $base_comp, WAL $wal_comp, PostgreSQL $pg_major, shape $shape"

# link_default: .stack/fixture.json -> fixtures/pg.json (for readers of the old single-fixture path).
link_default() {
  if [[ $server == "$SERVER_NAME" ]]; then
    ln -sfn "fixtures/$SERVER_NAME.json" "$STACK_DIR/fixture.json.tmp" && mv -Tf "$STACK_DIR/fixture.json.tmp" "$STACK_DIR/fixture.json"
  fi
}

if (( ! rebuild )) && [[ -s $FIXTURE_OUT ]]; then
  if s3_tool has-fixture-backups "$FIXTURE_OUT" "$params_json"; then
    link_default
    cat "$FIXTURE_OUT"
    say "ok: fixture up to date ($FIXTURE_OUT; $case_text; its backups are in $DEST/$server/). Use --rebuild to build it again."
    exit 0
  fi
  say "rebuilding: $FIXTURE_OUT (other parameters, or its backups are no longer in $DEST/$server/)"
fi

t0=$(now_s)
step() { say "[$server $(elapsed "$t0")s] $*"; }

# ----- wipe ---------------------------------------------------------------------------------------------
set_source_paths                      # PG_BIN: the binaries of the cluster there now, to stop it
stop_source
stop_copy                             # the promoted copy of a failover fixture, if one was left running
# (also the check that S3 answers: a separate probe would cost another Python + boto3 start)
s3_tool rm-prefix "$PITR_BUCKET" "$SERVER_PREFIX" \
  || die "cannot empty $DEST/$server/ at $ENDPOINT with the credentials in $ENV_FILE: is the stack up (scripts/stack-up.sh)?"
[[ $server == "$SERVER_NAME" ]] && rm -f "$STACK_DIR/fixture.json"
rm -rf "$SOURCE_DIR" "$FIXTURE_OUT" "$FIXTURE_LOG_DIR"
mkdir -p "$FIXTURE_LOG_DIR" "$SOURCE_DIR"
if [[ $SOURCE_DIR != "$STACK_DIR/source" && -z ${PITR_SOURCE_DIR:-} ]]; then
  # see source_dir in lib.sh; the link is only for people looking for it
  ln -sfn "$SOURCE_DIR" "$STACK_DIR/source"
  warn "the postgres user cannot reach $STACK_DIR (a parent folder is not searchable), so the source cluster lives in $SOURCE_DIR (linked from $STACK_DIR/source)"
fi
# From here on: the case's PostgreSQL and barman-cloud (run_as_postgres puts both on PATH).
PG_BIN=$PG_BIN_FOR_CASE
BARMAN_BIN=$BARMAN_BIN_FOR_CASE
step "$case_text"

# ----- source cluster -------------------------------------------------------------------------------------
# A build that fails leaves no cluster of its own running: it would hold its port and archive into the next
# build's server folder.
stop_clusters_on_failure() {
  local rc=$?
  if (( rc != 0 )); then stop_copy || true; stop_source || true; fi
}
trap stop_clusters_on_failure EXIT
SOURCE_PORT=$(free_port "$SOURCE_PORT")
step "initdb: $SOURCE_DATA (PostgreSQL $pg_major from $PG_BIN, port $SOURCE_PORT)"
new_source_cluster "$FIXTURE_LOG_DIR" "pitr fixture $server (scripts/make-fixture.sh)"
cat >>"$SOURCE_DATA/postgresql.conf" <<EOF
wal_level = replica
archive_mode = on
archive_timeout = 0
archive_command = '$BARMAN_BIN/barman-cloud-wal-archive --endpoint-url $ENDPOINT ${wal_flags[*]} $DEST $server %p'
EOF

# Check the archive destination first: a wrong endpoint or key would otherwise only show as a stuck archiver.
run_as_postgres "$BARMAN_BIN/barman-cloud-wal-archive" --endpoint-url "$ENDPOINT" --test "$DEST" "$server" 000000010000000000000001 \
  >"$FIXTURE_LOG_DIR/archive-test.log" 2>&1 \
  || { log_tail "$FIXTURE_LOG_DIR/archive-test.log"; die "barman-cloud-wal-archive $barman cannot reach $DEST at $ENDPOINT"; }

# The postmaster gets the AWS settings in its environment (run_as_postgres passes them) for archive_command.
run_as_postgres pg_ctl -D "$SOURCE_DATA" -l "$SOURCE_LOG" -w -t 60 start >/dev/null \
  || { log_tail "$SOURCE_LOG"; die "the source PostgreSQL did not start; see $SOURCE_LOG"; }
step "source PostgreSQL started on 127.0.0.1:$SOURCE_PORT (log $SOURCE_LOG)"

scale=3; [[ $shape == full ]] || scale=1
run_as_postgres pgbench -i -s "$scale" -q >"$FIXTURE_LOG_DIR/pgbench.log" 2>&1 \
  || { log_tail "$FIXTURE_LOG_DIR/pgbench.log"; die "pgbench -i failed"; }
# lsn: the WAL insert position when the row is built, before its insert and commit records: a marker whose
# lsn is at or past a backup's end_xlog committed after that backup became consistent.
psql_source "create table markers (label text primary key, committed_at timestamptz not null, xid bigint not null default txid_current(), lsn pg_lsn not null default pg_current_wal_insert_lsn())"
step "pgbench -i -s $scale done; table markers created"

# marker LABEL: one row in its own transaction, stamped with the clock at the insert, its transaction id and the WAL position.
marker() { psql_source "insert into markers (label, committed_at) values ('$1', clock_timestamp())"; }
# switch_wal: close the current segment (so it gets archived); prints the name of the closed segment.
switch_wal() { psql_source "select pg_walfile_name(pg_switch_wal())"; }
# restore_point NAME: a named restore point; prints its LSN.
restore_point() { psql_source "select pg_create_restore_point('$1')"; }

# backup N: barman-cloud-backup as postgres (it reads PGDATA), credentials in its environment.
backup() {
  run_as_postgres "$BARMAN_BIN/barman-cloud-backup" --endpoint-url "$ENDPOINT" "${base_flags[@]}" --immediate-checkpoint \
    --host "$SOURCE_RUN" --port "$SOURCE_PORT" "$DEST" "$server" >"$FIXTURE_LOG_DIR/backup$1.log" 2>&1
}
backup_failed() { log_tail "$FIXTURE_LOG_DIR/backup$1.log"; die "barman-cloud-backup $barman (backup $1) failed; see $FIXTURE_LOG_DIR/backup$1.log"; }

# first_backup_and_markers WRITE [with-restore-point]: marker before-b1-1, backup 1, then markers after-b1-1..3 a
# second apart, each written by `WRITE i`; with-restore-point creates restore point after-b1-2 right after
# after-b1-2 (for --target-name and --target-lsn restores). The small, failover and tablespace shapes start so.
first_backup_and_markers() {
  local write=$1 with_point=${2:-} i
  marker before-b1-1
  step "marker before-b1-1; backup 1 running"
  backup 1 || backup_failed 1
  step "backup 1 done"
  for i in 1 2 3; do
    (( i == 1 )) || sleep 1
    "$write" "$i"
    if [[ -n $with_point ]] && (( i == 2 )); then restore_point_name=after-b1-2; restore_point_lsn=$(restore_point "$restore_point_name"); fi
  done
}
after_b1_marker() { marker "after-b1-$1"; }

# wait_archived SEGMENT [PSQL DATA]: until the archiver has archived SEGMENT and nothing is left waiting (.ready);
# of the source, or of the cluster PSQL (psql_copy) reaches, whose data directory is DATA.
wait_archived() {
  local seg=$1 psql=${2:-psql_source} data=${3:-$SOURCE_DATA} deadline=$(( $(date +%s) + 120 )) row last failed lastfailed ready warned=0
  while :; do
    row=$("$psql" "select coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') from pg_stat_archiver")
    IFS='|' read -r last failed lastfailed <<<"$row"
    ready=$(find "$data/pg_wal/archive_status" -name '*.ready' | wc -l)
    [[ -n $last && ! $last < $seg ]] && (( ready == 0 )) && return 0
    if (( failed > 0 && ! warned )); then
      warn "archive_command failed $failed time(s) (last failed: $lastfailed); retrying. See $SOURCE_LOG"
      warned=1
    fi
    if (( $(date +%s) > deadline )); then
      log_tail "$SOURCE_LOG"
      die "WAL $seg not archived after 120 s (last archived: ${last:-none}, failures: $failed); see $SOURCE_LOG"
    fi
    sleep 0.2
  done
}

# ----- markers and backups -----------------------------------------------------------------------------
if [[ $shape == full ]]; then
  marker before-b1-1; sleep 1
  marker before-b1-2
  switch_wal >/dev/null
  step "markers before-b1-*; backup 1 running"
  backup 1 || backup_failed 1
  step "backup 1 done"

  for i in 1 2 3; do
    sleep 1
    marker "after-b1-$i"
    if (( i == 2 )); then switch_wal >/dev/null; fi
  done
  step "markers after-b1-1..3; backup 2 running with markers during-b2-* every 0.3 s"
  sleep 1
  backup 2 &
  backup_pid=$!
  n=0
  while kill -0 "$backup_pid" 2>/dev/null; do
    n=$(( n + 1 ))
    marker "during-b2-$n"
    sleep 0.3
  done
  wait "$backup_pid" || backup_failed 2
  step "backup 2 done ($n during-b2 markers)"

  for i in 1 2 3; do
    sleep 1
    marker "after-b2-$i"
    # A named restore point right after after-b2-1, for --target-name and --target-lsn restores.
    if (( i == 1 )); then restore_point_name=after-b2-1; restore_point_lsn=$(restore_point "$restore_point_name"); fi
    if (( i == 2 )); then switch_wal >/dev/null; fi
  done
  sleep 1
  marker tail
  last_seg=$(switch_wal)
  step "markers after-b2-1..3 and tail; waiting for WAL up to $last_seg to be archived"
elif [[ $shape == failover ]]; then
  first_backup_and_markers after_b1_marker
  last_seg=$(switch_wal)
  wait_archived "$last_seg"
  # The copy's recovery target: halfway between after-b1-1 and after-b1-2, so after-b1-2 and -3 are abandoned.
  branch_time=$(psql_source "select to_char((a + (b - a) / 2) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')
    from (select (select committed_at from markers where label = 'after-b1-1') a, (select committed_at from markers where label = 'after-b1-2') b) t")
  backup_id=$(s3_tool backups "$PITR_BUCKET" "$PREFIX" "$server" | "$SYS_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
  copy_paths
  step "markers after-b1-1..3 archived; point-in-time copy of backup $backup_id to $branch_time in $COPY_DATA"
  run_as_postgres "$BARMAN_BIN/barman-cloud-restore" --endpoint-url "$ENDPOINT" "$DEST" "$server" "$backup_id" "$COPY_DATA" \
    >"$FIXTURE_LOG_DIR/copy-restore.log" 2>&1 \
    || { log_tail "$FIXTURE_LOG_DIR/copy-restore.log"; die "barman-cloud-restore $barman of backup $backup_id failed"; }
  chmod 700 "$COPY_DATA"
  COPY_PORT=$(free_port $(( SOURCE_PORT + 1 )))
  # Same archive_command as the source (the same server folder); PostgreSQL fetches WAL with barman-cloud-wal-restore.
  cat >>"$COPY_DATA/postgresql.conf" <<EOF

# ----- point-in-time copy, promoted to timeline 2 (scripts/make-fixture.sh --shape failover) -----
port = $COPY_PORT
restore_command = '$BARMAN_BIN/barman-cloud-wal-restore --endpoint-url $ENDPOINT $DEST $server %f %p'
recovery_target_time = '$branch_time'
recovery_target_action = 'promote'
EOF
  run_as_postgres touch "$COPY_DATA/recovery.signal"
  run_as_postgres pg_ctl -D "$COPY_DATA" -l "$COPY_LOG" -w -t 120 start >/dev/null \
    || { log_tail "$COPY_LOG"; die "the point-in-time copy did not start; see $COPY_LOG"; }
  deadline=$(( $(date +%s) + 60 ))
  until [[ $(psql_copy "select pg_is_in_recovery()") == f ]]; do
    (( $(date +%s) < deadline )) || { log_tail "$COPY_LOG"; die "the copy was not promoted within 60 s; see $COPY_LOG"; }
    sleep 0.2
  done
  copy_tli=$(psql_copy "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")
  (( copy_tli == 2 )) || die "the promoted copy is on timeline $copy_tli, not 2; see $COPY_LOG"
  step "copy promoted to timeline 2 (port $COPY_PORT, log $COPY_LOG); markers tl2-1, tl2-2 on it"
  for i in 1 2; do
    (( i == 1 )) || sleep 1
    psql_copy "insert into markers (label, committed_at) values ('tl2-$i', clock_timestamp())"
  done
  copy_seg=$(psql_copy "select pg_walfile_name(pg_switch_wal())")
  wait_archived "$copy_seg" psql_copy "$COPY_DATA"
  # An idle stretch on timeline 1: three segments that hold WAL but no commit (non-transactional logical
  # messages, each segment switched), so the first commit after a target in it lies several segments later.
  for i in 1 2 3; do
    psql_source "select pg_logical_emit_message(false, 'pitr-idle', 'segment $i without a commit')" >/dev/null
    switch_wal >/dev/null
  done
  # The original goes on writing on timeline 1 after the branch: a commit after every timeline-2 marker (the
  # archiving of the copy's segment just waited for lies between them), after the idle stretch.
  marker after-b1-4
  restore_point_name=""
  last_seg=$(switch_wal)
  step "timeline 2 archived up to $copy_seg; marker after-b1-4 on timeline 1; waiting for WAL up to $last_seg to be archived"
elif [[ $shape == tablespace ]]; then
  # The tablespace's folder is made by postgres (root writes nothing inside the postgres user's tree).
  ts_location="$SOURCE_DIR/tablespaces/ts1"
  run_as_postgres mkdir -p "$ts_location"
  psql_source "create tablespace ts1 location '$ts_location'"
  psql_source "create table ts_rows (label text primary key, touched_by text) tablespace ts1"
  psql_source "insert into ts_rows select 'seed-' || i, null from generate_series(1, 1000) i"
  ts_oid=$(psql_source "select oid from pg_tablespace where spcname = 'ts1'")
  step "tablespace ts1 (oid $ts_oid) at $ts_location with 1000 rows in ts_rows"
  # One transaction (one psql -c string): the marker, its row in the tablespace and the update of a third of
  # the seed rows commit together, so the markers' times say which tablespace rows a restore must show.
  ts_marker() {
    psql_source "insert into markers (label, committed_at) values ('after-b1-$1', clock_timestamp());
      insert into ts_rows values ('after-b1-$1', null);
      update ts_rows set touched_by = 'after-b1-$1' where case when label like 'seed-%' then substr(label, 6)::int % 3 = $1 - 1 else false end"
  }
  first_backup_and_markers ts_marker with-restore-point
  switch_wal >/dev/null
  # A parameter raised on the source after the backup: a restore to a target past it replays the
  # parameter-change record and pauses for insufficient parameter settings (the restored cluster keeps the
  # backup's max_connections), short of its target.
  raise_from=$(psql_source "show max_connections")
  raise_to=$(( raise_from + 50 ))
  psql_source "alter system set max_connections = $raise_to"
  run_as_postgres pg_ctl -D "$SOURCE_DATA" -l "$SOURCE_LOG" -m fast -w -t 120 restart >/dev/null \
    || { log_tail "$SOURCE_LOG"; die "the source PostgreSQL did not restart with max_connections = $raise_to; see $SOURCE_LOG"; }
  [[ $(psql_source "show max_connections") == "$raise_to" ]] || die "max_connections on the source is not $raise_to after the restart"
  for i in 1 2; do
    sleep 1
    marker "after-raise-$i"
  done
  last_seg=$(switch_wal)
  step "markers after-b1-1..3 (with ts_rows changes), restore point after-b1-2, max_connections $raise_from -> $raise_to, markers after-raise-1..2; waiting for WAL up to $last_seg to be archived"
else
  first_backup_and_markers after_b1_marker with-restore-point
  last_seg=$(switch_wal)
  step "markers after-b1-1..3, restore point $restore_point_name; waiting for WAL up to $last_seg to be archived"
fi
wait_archived "$last_seg"

marker_json="$FIXTURE_LOG_DIR/markers.json"
psql_source "select coalesce(json_agg(json_build_object('label', label, 'committedAt',
    to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), 'xid', xid::text, 'lsn', lsn::text) order by committed_at), '[]')
  from markers" >"$marker_json"
if [[ -n $restore_point_name ]]; then
  printf '[{"name": "%s", "lsn": "%s"}]\n' "$restore_point_name" "$restore_point_lsn" >"$FIXTURE_LOG_DIR/restore-points.json"
else
  printf '[]\n' >"$FIXTURE_LOG_DIR/restore-points.json"
fi
extra_json=""
if [[ $shape == failover ]]; then
  # Each marker with the timelines that hold it (1: the original, 2: the promoted copy), and the branch as the
  # copy's own 00000002.history gives it.
  psql_copy "select coalesce(json_agg(json_build_object('label', label, 'committedAt',
      to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), 'xid', xid::text, 'lsn', lsn::text)), '[]')
    from markers" >"$FIXTURE_LOG_DIR/markers-tl2.json"
  extra_json="$FIXTURE_LOG_DIR/branch.json"
  "$SYS_PYTHON" - "$marker_json" "$FIXTURE_LOG_DIR/markers-tl2.json" "$COPY_DATA/pg_wal/00000002.history" "$branch_time" "$extra_json" <<'PY' \
    || die "cannot merge the markers of both timelines or read $COPY_DATA/pg_wal/00000002.history"
import json, sys
markers_file, tl2_file, history_file, branch_time, out = sys.argv[1:]
tl1 = {m["label"]: m for m in json.load(open(markers_file))}
tl2 = {m["label"]: m for m in json.load(open(tl2_file))}
markers = []
for label in set(tl1) | set(tl2):
    m = dict(tl1.get(label) or tl2[label])
    m["timelines"] = [t for t, rows in ((1, tl1), (2, tl2)) if label in rows]
    markers.append(m)
json.dump(sorted(markers, key=lambda m: m["committedAt"]), open(markers_file, "w"), indent=1)
lines = [l for l in open(history_file).read().splitlines() if l.strip()]
parent, lsn, reason = lines[-1].split("\t", 2)
json.dump({"branch": {"timeline": 2, "parentTimeline": int(parent), "switchLsn": lsn, "reason": reason,
                      "copyRecoveryTargetTime": branch_time}}, open(out, "w"))
PY
  stop_copy
  leftover=$(find "$COPY_DATA/pg_wal/archive_status" -name '*.ready' | wc -l)
  (( leftover == 0 )) || die "$leftover WAL file(s) of the promoted copy were not archived before it stopped; see $COPY_LOG"
fi

if [[ $shape == tablespace ]]; then
  extra_json="$FIXTURE_LOG_DIR/tablespace.json"
  "$SYS_PYTHON" - "$ts_oid" "$ts_location" "$raise_from" "$raise_to" "$extra_json" <<'PY' || die "cannot write $extra_json"
import json, sys
oid, location, raise_from, raise_to, out = sys.argv[1:]
json.dump({"tablespaces": [{"name": "ts1", "oid": int(oid), "location": location, "table": "ts_rows", "seedRows": 1000}],
           "parameterRaise": {"setting": "max_connections", "from": int(raise_from), "to": int(raise_to),
                              "afterMarker": "after-b1-3", "beforeMarker": "after-raise-1"}}, open(out, "w"))
PY
fi

# A clean shutdown switches and archives the last segment too.
stop_source
leftover=$(find "$SOURCE_DATA/pg_wal/archive_status" -name '*.ready' | wc -l)
(( leftover == 0 )) || die "$leftover WAL file(s) were not archived before the source stopped; see $SOURCE_LOG"
step "source stopped; all WAL archived"

# ----- the fixture json -------------------------------------------------------------------------------
s3_tool write-fixture "$PITR_BUCKET" "$PREFIX" "$server" "$marker_json" "$FIXTURE_OUT" \
  "$FIXTURE_LOG_DIR/restore-points.json" "$params_json" "$nbackups" $extra_json
link_default
step "wrote $FIXTURE_OUT"
