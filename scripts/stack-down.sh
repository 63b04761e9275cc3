#!/usr/bin/env bash
# Stop what scripts/stack-up.sh started (Temporal, versitygw) and the fixture's source PostgreSQL (and a failover
# fixture's promoted copy): TERM, wait, then KILL. Data stays in .stack/ unless --purge is given (then .stack/ is removed too).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
for arg in "$@"; do
  case $arg in
    --purge) purge=1 ;;
    -h|--help) say "usage: $0 [--purge]   (--purge also deletes $STACK_DIR)"; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--purge])" ;;
  esac
done

# The source cluster first: its archiver may still be uploading to the S3 server.
if pg_bindir >/dev/null && id postgres >/dev/null 2>&1; then
  set_source_paths
  stop_copy
  stop_source
fi
stop_daemon temporal "$TEMPORAL_DB" 30
stop_daemon versitygw "$S3_DATA" 15

if (( purge )); then
  # the fallback source folder outside .stack (see source_dir in lib.sh); never a PITR_SOURCE_DIR
  [[ -z ${PITR_SOURCE_DIR:-} && ${SOURCE_DIR:-} == /var/tmp/pitr-source-* ]] && rm -rf "$SOURCE_DIR"
  rm -rf "$STACK_DIR"
  say "purged: $STACK_DIR"
else
  say "stack down (data kept in $STACK_DIR; --purge removes it)"
fi
