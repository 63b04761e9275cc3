#!/usr/bin/env bash
# Builds a benchmark fixture with the real tools, in its own server folder of the stack's bucket
# (s3://$PITR_BUCKET/bench/ for the default fixture, bench-NAME/ for --fixture NAME; the test fixture in
# pg/ is never touched), from its own source cluster (see bench_select_fixture in lib-bench.sh):
#   pgbench data of about --size-mb MB (scale = size/15), loaded with wal_level=minimal so that the load
#   itself is not archived; then archiving with barman-cloud-wal-archive --gzip, one
#   barman-cloud-backup --gzip --immediate-checkpoint, then --wal-segments WAL segments of pgbench
#   traffic (pg_switch_wal() after every --txn-per-segment transactions) with marker rows: 'mid' in the
#   middle, 'before-target' and 'after-target' half a second apart near the end (the target is the
#   midpoint between them, so most of the WAL is needed), a last 'tail' commit, and a clean stop.
#   The generator waits whenever more than ARCHIVE_BACKLOG_MAX (64) segments wait for the archiver (one
#   barman-cloud-wal-archive process a segment, about 0.5 s here), so that pg_wal stays small even with
#   tiny segments (--txn-per-segment 1).
# Writes the fixture json (bench/work/fixture.json, or fixture-NAME.json). Called by bench/run-bench.sh
# (which decides when to rebuild).
# usage: make-bench-fixture.sh --size-mb N --wal-segments N [--txn-per-segment N] [--fixture NAME]
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

size_mb=1024 wal_segments=200 txn_per_segment=300
ARCHIVE_BACKLOG_MAX=64                          # segments waiting for the archiver: 1 GB of pg_wal at most
while (( $# )); do
  case $1 in
    --size-mb) size_mb=$2; shift 2 ;;
    --wal-segments) wal_segments=$2; shift 2 ;;
    --txn-per-segment) txn_per_segment=$2; shift 2 ;;
    --fixture) bench_select_fixture "$2"; shift 2 ;;
    *) die "unknown argument '$1' (usage: $0 --size-mb N --wal-segments N [--txn-per-segment N] [--fixture NAME])" ;;
  esac
done
[[ $size_mb =~ ^[0-9]+$ && $wal_segments =~ ^[0-9]+$ && $txn_per_segment =~ ^[0-9]+$ ]] || die "sizes must be whole numbers"
(( wal_segments >= 4 )) || die "--wal-segments must be at least 4"
require_root
load_stack_env
bench_source_paths

PREFIX=${PITR_PREFIX:-}; PREFIX=${PREFIX#/}; PREFIX=${PREFIX%/}
SERVER_PREFIX="${PREFIX:+$PREFIX/}$BENCH_SERVER/"
# only ever a benchmark's own server folder: bench/ or bench-NAME/ (the trailing / keeps bench/ from matching bench-NAME/)
[[ $BENCH_SERVER =~ ^bench(-[a-z0-9-]+)?$ && ( $SERVER_PREFIX == "$BENCH_SERVER/" || $SERVER_PREFIX == */"$BENCH_SERVER/" ) ]] \
  || die "refusing to wipe $SERVER_PREFIX"
ENDPOINT=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
DEST=$(s3_url)
LOGS=$(bench_work_path fixture-logs)
scale=$(( (size_mb + 7) / 15 )); (( scale >= 1 )) || scale=1

t0=$(now_s)
step() { say "[fixture $(elapsed "$t0")s] $*"; }

# ----- wipe (only this fixture's server folder and source cluster) ---------------------------------
stop_source
rm -rf "$SOURCE_DIR" "$BENCH_FIXTURE" "$LOGS"
s3_tool rm-prefix "$PITR_BUCKET" "$SERVER_PREFIX"

new_source_cluster "$LOGS" "pitr benchmark source (bench/make-bench-fixture.sh)"
cat >>"$SOURCE_DATA/postgresql.conf" <<EOF
autovacuum = off              # no commits but ours: the first commit after the target is 'after-target'
synchronous_commit = off      # faster WAL generation; commit records and their times are the same
max_wal_size = '4GB'
include_if_exists = 'bench-phase.conf'
EOF
# Phase 1: load without WAL (wal_level=minimal skips WAL for tables created in the loading transaction).
cat >"$SOURCE_DATA/bench-phase.conf" <<EOF
wal_level = minimal
max_wal_senders = 0
archive_mode = off
EOF
chown postgres: "$SOURCE_DATA/bench-phase.conf"
run_as_postgres pg_ctl -D "$SOURCE_DATA" -l "$SOURCE_LOG" -w -t 60 start >/dev/null \
  || { log_tail "$SOURCE_LOG"; die "the bench source PostgreSQL did not start"; }
step "fixture '$BENCH_FIXTURE_NAME': source cluster on port $SOURCE_PORT; pgbench -i -s $scale (about $size_mb MB)"
run_as_postgres pgbench -i -s "$scale" -q >"$LOGS/pgbench-init.log" 2>&1 \
  || { log_tail "$LOGS/pgbench-init.log"; die "pgbench -i failed"; }
psql_source "create table markers (label text primary key, committed_at timestamptz not null)"
run_as_postgres pg_ctl -D "$SOURCE_DATA" -m fast -w -t 120 stop >/dev/null

# Phase 2: archive with barman-cloud-wal-archive from here on.
cat >"$SOURCE_DATA/bench-phase.conf" <<EOF
wal_level = replica
archive_mode = on
archive_timeout = 0
archive_command = 'barman-cloud-wal-archive --endpoint-url $ENDPOINT --gzip $DEST $BENCH_SERVER %p'
EOF
run_as_postgres barman-cloud-wal-archive --endpoint-url "$ENDPOINT" --test "$DEST" "$BENCH_SERVER" 000000010000000000000001 \
  >"$LOGS/archive-test.log" 2>&1 || { log_tail "$LOGS/archive-test.log"; die "barman-cloud-wal-archive cannot reach $DEST"; }
run_as_postgres pg_ctl -D "$SOURCE_DATA" -l "$SOURCE_LOG" -w -t 60 start >/dev/null \
  || { log_tail "$SOURCE_LOG"; die "the bench source PostgreSQL did not restart with archiving"; }
pgdata_bytes=$(du -sb --exclude=pg_wal "$SOURCE_DATA" | cut -f1)
step "archiving on; PGDATA $(( pgdata_bytes / 1048576 )) MB without pg_wal; barman-cloud-backup running"

marker() { psql_source "insert into markers (label, committed_at) values ('$1', clock_timestamp())"; }
switch_wal() { psql_source "select pg_walfile_name(pg_switch_wal())"; }
current_wal() { psql_source "select pg_walfile_name(pg_current_wal_insert_lsn())"; }
archive_backlog() { find "$SOURCE_DATA/pg_wal/archive_status" -name '*.ready' | wc -l; }

# wait_for_archiver MAX: wait while more than MAX segments wait to be archived.
wait_for_archiver() {
  local deadline=$(( $(date +%s) + 600 ))
  while (( $(archive_backlog) > $1 )); do
    (( $(date +%s) < deadline )) || die "the archiver did not catch up in 10 minutes ($(archive_backlog) segments waiting; see $SOURCE_LOG)"
    sleep 0.5
  done
}

bt=$(now_s)
run_as_postgres barman-cloud-backup --endpoint-url "$ENDPOINT" --gzip --immediate-checkpoint \
  --host "$SOURCE_RUN" --port "$SOURCE_PORT" "$DEST" "$BENCH_SERVER" >"$LOGS/backup.log" 2>&1 \
  || { log_tail "$LOGS/backup.log"; die "barman-cloud-backup failed"; }
backup_s=$(elapsed "$bt")
step "backup done in ${backup_s}s; generating $wal_segments WAL segments ($txn_per_segment pgbench transactions each)"

mid_at=$(( wal_segments / 2 ))
target_at=$(( wal_segments - (wal_segments / 10 > 2 ? wal_segments / 10 : 2) ))
after_target_wal=""
for (( i = 1; i <= wal_segments; i++ )); do
  run_as_postgres pgbench -n -t "$txn_per_segment" >>"$LOGS/pgbench-run.log" 2>&1 \
    || { log_tail "$LOGS/pgbench-run.log"; die "pgbench failed"; }
  if (( i == mid_at )); then marker mid; fi
  if (( i == target_at )); then
    marker before-target
    sleep 0.5
    marker after-target
    after_target_wal=$(current_wal)
  fi
  switch_wal >/dev/null
  wait_for_archiver "$ARCHIVE_BACKLOG_MAX"
  if (( i % 50 == 0 )); then step "$i segments switched, $(archive_backlog) waiting for the archiver"; fi
done
run_as_postgres pgbench -n -t "$txn_per_segment" >>"$LOGS/pgbench-run.log" 2>&1
marker tail
last_seg=$(switch_wal)
step "markers mid, before-target, after-target, tail; waiting for WAL up to $last_seg to be archived"
deadline=$(( $(date +%s) + 1800 ))
while :; do
  row=$(psql_source "select coalesce(last_archived_wal, ''), failed_count from pg_stat_archiver")
  IFS='|' read -r last failed <<<"$row"
  ready=$(archive_backlog)
  [[ -n $last && ! $last < $last_seg ]] && (( ready == 0 )) && break
  (( $(date +%s) < deadline )) || die "WAL not archived in time (last archived ${last:-none}, $ready waiting, $failed failures)"
  sleep 1
done
marker_json="$LOGS/markers.json"
psql_source "select json_agg(json_build_object('label', label, 'committedAt',
    to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')) order by committed_at) from markers" >"$marker_json"
stop_source
leftover=$(archive_backlog)
(( leftover == 0 )) || die "$leftover WAL file(s) were not archived before the source stopped"
step "source stopped; all WAL archived"

# ----- fixture.json ----------------------------------------------------------------------------------
s3_tool backups "$PITR_BUCKET" "$PREFIX" "$BENCH_SERVER" >"$LOGS/backups.json"
"$SYS_PYTHON" - "$PITR_BUCKET" "$PREFIX" "$LOGS/backups.json" "$marker_json" "$after_target_wal" "$BENCH_FIXTURE" \
  "$size_mb" "$wal_segments" "$txn_per_segment" "$scale" "$pgdata_bytes" "$backup_s" "$ENDPOINT" "$BENCH_SERVER" "$BENCH_FIXTURE_NAME" \
  "$(elapsed "$t0")" <<'PY'
import datetime, json, os, sys
import boto3, botocore.config
bucket, prefix, backups_file, markers_file, after_wal, out = sys.argv[1:7]
size_mb, wal_segments, txn, scale, pgdata_bytes = map(int, sys.argv[7:12])
backup_s, endpoint, server, name, build_s = float(sys.argv[12]), sys.argv[13], sys.argv[14], sys.argv[15], float(sys.argv[16])
backups = json.load(open(backups_file))
if len(backups) != 1 or backups[0]["status"] != "DONE":
    sys.exit("expected one DONE backup in %s/, found %s" % (server, backups))
b = backups[0]
markers = json.load(open(markers_file))
at = {m["label"]: datetime.datetime.fromisoformat(m["committedAt"]) for m in markers}
target = at["before-target"] + (at["after-target"] - at["before-target"]) / 2
root = (prefix.strip("/") + "/" if prefix.strip("/") else "") + server + "/"
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                  config=botocore.config.Config(s3={"addressing_style": "path"}))
objs = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root):
    objs += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
base = [(k, s) for k, s in objs if k.startswith(root + "base/" + b["id"] + "/")]
segs = sorted((k.rsplit("/", 1)[1].split(".")[0], s) for k, s in objs
              if k.startswith(root + "wals/") and len(k.rsplit("/", 1)[1].split(".")[0]) == 24 and ".backup" not in k)
after_backup = [(n, s) for n, s in segs if n >= b["beginWal"]]
needed = [(n, s) for n, s in after_backup if n <= after_wal]
fixture = {
    "name": name, "server": server, "bucket": bucket, "prefix": prefix,
    "params": {"sizeMb": size_mb, "walSegments": wal_segments, "txnPerSegment": txn},
    "pgbenchScale": scale, "pgdataBytes": pgdata_bytes, "backupSeconds": backup_s,
    "backup": b,
    "baseObjects": [{"key": k, "size": s} for k, s in base],
    "baseBytes": sum(s for _, s in base),
    "walSegmentsAfterBackup": len(after_backup), "walBytesAfterBackup": sum(s for _, s in after_backup),
    "walSegmentsArchived": len(segs),
    "firstWal": b["beginWal"], "lastWalNeeded": after_wal,
    "walSegmentsNeeded": len(needed), "walBytesNeeded": sum(s for _, s in needed),
    "markers": markers,
    "targetTime": target.isoformat(timespec="microseconds"),
    "expectPresent": sorted(l for l, t in at.items() if t <= target),
    "expectAbsent": sorted(l for l, t in at.items() if t > target),
    "builtAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "buildSeconds": build_s,
}
with open(out + ".tmp", "w") as f:
    json.dump(fixture, f, indent=2)
    f.write("\n")
os.replace(out + ".tmp", out)
print("fixture: backup %s (%d objects, %.1f MB compressed, PGDATA %.0f MB); %d WAL segments after the backup, %d needed (%s..%s); target %s"
      % (b["id"], len(base), fixture["baseBytes"] / 1e6, pgdata_bytes / 1048576, len(after_backup), len(needed),
         b["beginWal"], after_wal, fixture["targetTime"]))
PY
step "wrote $BENCH_FIXTURE"
