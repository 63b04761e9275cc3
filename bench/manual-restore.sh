#!/usr/bin/env bash
# Method (a) of the benchmark: the manual procedure of ../shared/seeds/000_5dcd1095e9298632.txt, with
# the fixes of docs/barman-pitr-facts.md that make it correct, step by step as a person
# would type it (each step timed into --phases):
#   download_base        /usr/bin/aws s3 sync of the base backup (include pattern with the trailing /*)
#   extract              mkdir .../data && tar xzf data.tar.gz -C .../data
#   download_wal         list the WAL keys, pick them by name, /usr/bin/aws s3 sync with one --include per key
#                        (--wal needed: begin_wal .. the segment of the first commit after the target,
#                        known from the fixture; --wal all: every WAL object from begin_wal on)
#   copy_to_barman_home  cp -r s3_backup/<server> <barman home>/, strip .gz, touch -d @86400, chown -R
#   rebuild_xlogdb       barman rebuild-xlogdb (checked: wal_file > 0)
#   recover              barman recover --target-time (private config, barman_user = postgres)
#   start_until_paused   pg_ctl start on a private port/socket, poll until replay is paused at the target
#   check_and_stop       SQL check of the marker rows, pg_ctl stop
# usage: manual-restore.sh --dest DIR --work DIR [--phases FILE] [--wal needed|all]
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

dest="" work="" wal_mode=needed
while (( $# )); do
  case $1 in
    --dest) dest=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --phases) PHASES_FILE=$2; shift 2 ;;
    --wal) wal_mode=$2; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ -n $dest && -n $work ]] || die "usage: $0 --dest DIR --work DIR [--phases FILE] [--wal needed|all]"
[[ $wal_mode == needed || $wal_mode == all ]] || die "--wal needed|all"
load_stack_env
PG_BIN=$(pg_bindir)
ENDPOINT=${AWS_ENDPOINT_URL_S3:-$AWS_ENDPOINT_URL}
AWS=("$SYS_AWS" --endpoint-url "$ENDPOINT")
PREFIX=${PITR_PREFIX:-}; PREFIX=${PREFIX#/}; PREFIX=${PREFIX%/}
SRV="${PREFIX:+$PREFIX/}$BENCH_SERVER"
ID=$(fixture_get backup.id)
FIRST_WAL=$(fixture_get firstWal)
LAST_WAL=$(fixture_get lastWalNeeded)
TARGET=$(fixture_get targetTime)            # 2026-11-24T23:00:41.018967+00:00
TARGET_BARMAN=${TARGET/T/ }                 # Barman's form, with its explicit offset
mkdir -p "$work"
S3B="$work/s3_backup"
HOME_DIR="$work/barman"

# ----- 1. download + extract the base backup --------------------------------------------------------
t=$(now_s)
"${AWS[@]}" s3 sync "s3://$PITR_BUCKET" "$S3B/" --exclude "*" --include "$SRV/base/$ID/*" --only-show-errors
[[ -s $S3B/$SRV/base/$ID/data.tar.gz ]] || die "aws s3 sync downloaded no data.tar.gz for backup $ID"
phase download_base "$t"

t=$(now_s)
mkdir -p "$S3B/$SRV/base/$ID/data" && tar xzf "$S3B/$SRV/base/$ID/data.tar.gz" -C "$S3B/$SRV/base/$ID/data"
phase extract "$t"

# ----- 1b. the WAL, chosen by name (a glob cannot express a range of names) -----------------------------
t=$(now_s)
mapfile -t includes < <("${AWS[@]}" s3api list-objects-v2 --bucket "$PITR_BUCKET" --prefix "$SRV/wals/" \
    --query 'Contents[].Key' --output text | tr '\t' '\n' \
  | awk -F/ -v first="$FIRST_WAL" -v last="$LAST_WAL" -v mode="$wal_mode" '
      { name = substr($NF, 1, 24) }
      length(name) == 24 && name ~ /^[0-9A-F]+$/ && substr(name, 1, 8) == substr(first, 1, 8) && name >= first && (mode == "all" || name <= last) {
        print "--include"; print $0 }')
(( ${#includes[@]} > 0 )) || die "no WAL objects selected under s3://$PITR_BUCKET/$SRV/wals/"
"${AWS[@]}" s3 sync "s3://$PITR_BUCKET" "$S3B/" --exclude "*" "${includes[@]}" --only-show-errors
phase download_wal "$t"

# ----- 2. copy into the Barman home; strip .gz, neutral mtimes, ownership ---------------------------------
t=$(now_s)
mkdir -p "$HOME_DIR"
cp -r "$S3B/$SRV" "$HOME_DIR/"
find "$HOME_DIR/$BENCH_SERVER/wals" -type f -name '*.gz' -exec sh -c 'for f; do mv "$f" "${f%.gz}"; done' sh {} +
find "$HOME_DIR/$BENCH_SERVER/wals" -type f -exec touch -d @86400 {} +
chown -R postgres: "$HOME_DIR"
phase copy_to_barman_home "$t"

# ----- 3. barman rebuild-xlogdb + recover (private configuration, as src/io/barman.ts writes it) -----------
cat >"$work/barman.conf" <<EOF
[barman]
barman_home = $HOME_DIR
barman_user = postgres
log_file = $work/barman.log
log_level = INFO

[$BENCH_SERVER]
description = "manual PITR (benchmark)"
conninfo = host=127.0.0.1 port=1 dbname=postgres
backup_method = postgres
archiver = on
EOF
touch "$work/barman.log"; chown postgres: "$work/barman.log"

t=$(now_s)
out=$(barman -c "$work/barman.conf" rebuild-xlogdb "$BENCH_SERVER" 2>&1) || die "barman rebuild-xlogdb failed: $out"
registered=$(sed -n 's/.*wal_file: \([0-9]*\)).*/\1/p' <<<"$out")
(( ${registered:-0} > 0 )) || die "barman rebuild-xlogdb registered no WAL: $out"
phase rebuild_xlogdb "$t"

t=$(now_s)
mkdir -p "$dest"; chown postgres: "$dest"; chmod 700 "$dest"
out=$(barman -c "$work/barman.conf" recover --target-time "$TARGET_BARMAN" "$BENCH_SERVER" "$ID" "$dest" 2>&1) \
  || die "barman recover failed: $out"
grep -q 'successfully prepared for recovery' <<<"$out" || die "barman recover did not succeed: $out"
phase recover "$t"

# ----- 4. start PostgreSQL on the result until replay pauses at the target; check; stop -------------------
t=$(now_s)
restored_start "$dest" "$work/postgres.log"
restored_wait_paused "$work/postgres.log"
phase start_until_paused "$t"
t=$(now_s)
restored_check_markers
restored_stop
phase check_and_stop "$t"
say "manual restore OK: $registered WAL registered by barman, paused at the target $TARGET"
