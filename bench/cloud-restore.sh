#!/usr/bin/env bash
# Method (b) of the benchmark: barman-cloud-restore, with barman-cloud-wal-restore as restore_command
# (docs/barman-pitr-facts.md §6), to the same end state as the others (each step timed into --phases):
#   barman_cloud_restore  barman-cloud-restore as postgres into the empty destination (one stream)
#   configure             restore_command, recovery_target_time, archive_mode = off, recovery.signal
#   start_until_paused    pg_ctl start (the postmaster gets the AWS settings for restore_command), poll
#                         until replay is paused at the target: every WAL segment is fetched here, one
#                         barman-cloud-wal-restore process (LIST + GET) per segment
#   check_and_stop        SQL check of the marker rows, pg_ctl stop
# usage: cloud-restore.sh --dest DIR --work DIR [--phases FILE]
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

dest="" work=""
while (( $# )); do
  case $1 in
    --dest) dest=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --phases) PHASES_FILE=$2; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ -n $dest && -n $work ]] || die "usage: $0 --dest DIR --work DIR [--phases FILE]"
load_stack_env
PG_BIN=$(pg_bindir)
ENDPOINT=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
URL=$(s3_url)
ID=$(fixture_get backup.id)
TARGET=$(fixture_get targetTime)
mkdir -p "$work"

t=$(now_s)
mkdir -p "$dest"; chown postgres: "$dest"; chmod 700 "$dest"
restored_env aws
(cd / && runuser -u postgres -- env -i "${RESTORED_ENV[@]}" barman-cloud-restore --endpoint-url "$ENDPOINT" "$URL" "$BENCH_SERVER" "$ID" "$dest") \
  || die "barman-cloud-restore failed"
phase barman_cloud_restore "$t"

t=$(now_s)
cat >>"$dest/postgresql.auto.conf" <<EOF
# added by bench/cloud-restore.sh
restore_command = 'barman-cloud-wal-restore --endpoint-url $ENDPOINT $URL $BENCH_SERVER %f %p'
recovery_target_time = '${TARGET/T/ }'
archive_mode = 'off'
EOF
touch "$dest/recovery.signal"
chown postgres: "$dest/postgresql.auto.conf" "$dest/recovery.signal"
phase configure "$t"

t=$(now_s)
restored_start "$dest" "$work/postgres.log" aws
restored_wait_paused "$work/postgres.log"
phase start_until_paused "$t"
t=$(now_s)
restored_check_markers
restored_stop
phase check_and_stop "$t"
say "barman-cloud-restore OK: paused at the target $TARGET"
