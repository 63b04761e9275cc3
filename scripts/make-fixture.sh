#!/usr/bin/env bash
# Build the real test fixture against the running stack (scripts/stack-up.sh): a source PostgreSQL cluster
# that archives its WAL with barman-cloud-wal-archive into s3://$PITR_BUCKET/pg/, pgbench data, two
# barman-cloud-backup backups and marker rows committed at known times before, between, during and after
# them. Writes .stack/fixture.json (backup ids and times from the real backup.info objects, markers from
# SQL) and stops the source cluster cleanly.
# Idempotent: when .stack/fixture.json exists and the bucket still holds its backups it only prints it.
# --rebuild wipes the bucket's pg/ folder and the source cluster and builds everything again.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rebuild=0
for arg in "$@"; do
  case $arg in
    --rebuild) rebuild=1 ;;
    -h|--help) say "usage: $0 [--rebuild]"; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--rebuild])" ;;
  esac
done
require_root
id postgres >/dev/null 2>&1 || die "no postgres user: run scripts/bootstrap.sh (it installs postgresql)"
load_stack_env
s3_tool ready >/dev/null 2>&1 \
  || die "S3 endpoint $AWS_ENDPOINT_URL does not answer with the credentials in $ENV_FILE: run scripts/stack-up.sh"
set_source_paths

PREFIX=${PITR_PREFIX:-}; PREFIX=${PREFIX#/}; PREFIX=${PREFIX%/}
SERVER_PREFIX="${PREFIX:+$PREFIX/}$SERVER_NAME/"
ENDPOINT=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
DEST=$(s3_url)
FIXTURE_LOG_DIR="$LOG_DIR/fixture"

if (( ! rebuild )) && [[ -s $FIXTURE_FILE ]]; then
  # (a fixture from before restore points were recorded is rebuilt)
  if grep -q '"restorePoints"' "$FIXTURE_FILE" && s3_tool has-fixture-backups "$FIXTURE_FILE"; then
    cat "$FIXTURE_FILE"
    say "ok: fixture up to date ($FIXTURE_FILE; its backups are in $DEST/$SERVER_NAME/). Use --rebuild to build it again."
    exit 0
  fi
  say "rebuilding: $FIXTURE_FILE names backups that are no longer in $DEST/$SERVER_NAME/"
fi

t0=$(now_s)
step() { say "[$(elapsed "$t0")s] $*"; }

# ----- wipe ---------------------------------------------------------------------------------------------
stop_source
rm -rf "$SOURCE_DIR" "$FIXTURE_FILE" "$FIXTURE_LOG_DIR"
s3_tool rm-prefix "$PITR_BUCKET" "$SERVER_PREFIX"
mkdir -p "$SOURCE_DIR"
if [[ $SOURCE_DIR != "$STACK_DIR/source" && -z ${PITR_SOURCE_DIR:-} ]]; then
  # see source_dir in lib.sh; the link is only for people looking for it
  ln -sfn "$SOURCE_DIR" "$STACK_DIR/source"
  warn "the postgres user cannot reach $STACK_DIR (a parent folder is not searchable), so the source cluster lives in $SOURCE_DIR (linked from $STACK_DIR/source)"
fi

# ----- source cluster -------------------------------------------------------------------------------------
step "initdb: $SOURCE_DATA (PostgreSQL $(basename "$(dirname "$PG_BIN")"), port $SOURCE_PORT)"
new_source_cluster "$FIXTURE_LOG_DIR" "pitr fixture (scripts/make-fixture.sh)"
cat >>"$SOURCE_DATA/postgresql.conf" <<EOF
wal_level = replica
archive_mode = on
archive_timeout = 0
archive_command = 'barman-cloud-wal-archive --endpoint-url $ENDPOINT --gzip $DEST $SERVER_NAME %p'
EOF

# Check the archive destination first: a wrong endpoint or key would otherwise only show as a stuck archiver.
run_as_postgres barman-cloud-wal-archive --endpoint-url "$ENDPOINT" --test "$DEST" "$SERVER_NAME" 000000010000000000000001 \
  >"$FIXTURE_LOG_DIR/archive-test.log" 2>&1 \
  || { log_tail "$FIXTURE_LOG_DIR/archive-test.log"; die "barman-cloud-wal-archive cannot reach $DEST at $ENDPOINT"; }

# The postmaster gets the AWS settings in its environment (run_as_postgres passes them) for archive_command.
run_as_postgres pg_ctl -D "$SOURCE_DATA" -l "$SOURCE_LOG" -w -t 60 start >/dev/null \
  || { log_tail "$SOURCE_LOG"; die "the source PostgreSQL did not start; see $SOURCE_LOG"; }
step "source PostgreSQL started on 127.0.0.1:$SOURCE_PORT (log $SOURCE_LOG)"

run_as_postgres pgbench -i -s 3 -q >"$FIXTURE_LOG_DIR/pgbench.log" 2>&1 \
  || { log_tail "$FIXTURE_LOG_DIR/pgbench.log"; die "pgbench -i failed"; }
psql_source "create table markers (label text primary key, committed_at timestamptz not null, xid bigint not null default txid_current())"
step "pgbench -i -s 3 done; table markers created"

# marker LABEL: one row in its own transaction, stamped with the clock at the insert and its transaction id.
marker() { psql_source "insert into markers (label, committed_at) values ('$1', clock_timestamp())"; }
# switch_wal: close the current segment (so it gets archived); prints the name of the closed segment.
switch_wal() { psql_source "select pg_walfile_name(pg_switch_wal())"; }

# backup N: barman-cloud-backup as postgres (it reads PGDATA), credentials in its environment.
backup() {
  run_as_postgres barman-cloud-backup --endpoint-url "$ENDPOINT" --gzip --immediate-checkpoint \
    --host "$SOURCE_RUN" --port "$SOURCE_PORT" "$DEST" "$SERVER_NAME" >"$FIXTURE_LOG_DIR/backup$1.log" 2>&1
}
backup_failed() { log_tail "$FIXTURE_LOG_DIR/backup$1.log"; die "barman-cloud-backup (backup $1) failed; see $FIXTURE_LOG_DIR/backup$1.log"; }

# wait_archived SEGMENT: until the archiver has archived SEGMENT and nothing is left waiting (.ready).
wait_archived() {
  local seg=$1 deadline=$(( $(date +%s) + 120 )) row last failed lastfailed ready warned=0
  while :; do
    row=$(psql_source "select coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') from pg_stat_archiver")
    IFS='|' read -r last failed lastfailed <<<"$row"
    ready=$(find "$SOURCE_DATA/pg_wal/archive_status" -name '*.ready' | wc -l)
    [[ -n $last && ! $last < $seg ]] && (( ready == 0 )) && return 0
    if (( failed > 0 && ! warned )); then
      warn "archive_command failed $failed time(s) (last failed: $lastfailed); retrying. See $SOURCE_LOG"
      warned=1
    fi
    if (( $(date +%s) > deadline )); then
      log_tail "$SOURCE_LOG"
      die "WAL $seg not archived after 120 s (last archived: ${last:-none}, failures: $failed); see $SOURCE_LOG"
    fi
    sleep 0.5
  done
}

# ----- markers and backups -----------------------------------------------------------------------------
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
  if (( i == 1 )); then restore_point_lsn=$(psql_source "select pg_create_restore_point('after-b2-1')"); fi
  if (( i == 2 )); then switch_wal >/dev/null; fi
done
sleep 1
marker tail
last_seg=$(switch_wal)
step "markers after-b2-1..3 and tail; waiting for WAL up to $last_seg to be archived"
wait_archived "$last_seg"

marker_json="$FIXTURE_LOG_DIR/markers.json"
psql_source "select coalesce(json_agg(json_build_object('label', label, 'committedAt',
    to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), 'xid', xid::text) order by committed_at), '[]')
  from markers" >"$marker_json"
printf '[{"name": "after-b2-1", "lsn": "%s"}]\n' "$restore_point_lsn" >"$FIXTURE_LOG_DIR/restore-points.json"

# A clean shutdown switches and archives the last segment too.
stop_source
leftover=$(find "$SOURCE_DATA/pg_wal/archive_status" -name '*.ready' | wc -l)
(( leftover == 0 )) || die "$leftover WAL file(s) were not archived before the source stopped; see $SOURCE_LOG"
step "source stopped; all WAL archived"

# ----- fixture.json -------------------------------------------------------------------------------------
s3_tool write-fixture "$PITR_BUCKET" "$PREFIX" "$SERVER_NAME" "$marker_json" "$FIXTURE_FILE" "$FIXTURE_LOG_DIR/restore-points.json"
step "wrote $FIXTURE_FILE"
