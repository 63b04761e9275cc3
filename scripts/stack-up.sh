#!/usr/bin/env bash
# Start the local stack (idempotent): the Temporal dev server (db file .stack/temporal/temporal.db, the
# project's search attributes) and versitygw (S3, posix backend in .stack/s3/) with the bucket; wait until
# both are ready and write .stack/env (sourceable connection settings, plus the worker's Barman, the newest
# from PyPI, as PITR_BARMAN_BIN and, when it comes from .tools, PostgreSQL 17's bin dir as PITR_PG_BIN_DIR_17).
# Ports: PITR_TEMPORAL_PORT (7233), PITR_TEMPORAL_UI_PORT (8233), PITR_S3_PORT (7070).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEARCH_ATTRIBUTES=(
  RestoreServer=Keyword RestoreDestination=Keyword RestorePhase=Keyword RestoreBackupId=Keyword
  RestoreTargetTime=Datetime
)
t0=$(now_s)
mkdir -p "$RUN_DIR" "$LOG_DIR" "$(dirname "$TEMPORAL_DB")" "$S3_DATA"

TEMPORAL=$(temporal_bin) || die "temporal CLI not found (neither on PATH nor in $TOOLS_BIN): run scripts/bootstrap.sh"
VERSITYGW=$(versitygw_bin) || die "versitygw not found in $TOOLS_BIN: run scripts/bootstrap.sh"
"$SYS_PYTHON" -c 'import boto3' 2>/dev/null || die "python3-boto3 missing (for $SYS_PYTHON): run scripts/bootstrap.sh"
# The worker's Barman: the newest from PyPI (as users run it). PostgreSQL 17 for the tests: Debian's when
# installed (the worker's default pattern finds it), else the toolset bootstrap put in .tools.
BARMAN_NEWEST_BIN=$(barman_bindir "$BARMAN_NEWEST") \
  || die "barman $BARMAN_NEWEST not installed in $(barman_venv_dir "$BARMAN_NEWEST"): run scripts/bootstrap.sh"
PG17_BIN=""
if bindir=$(pg_bindir_for 17) && [[ $bindir != /usr/lib/postgresql/17/bin ]]; then PG17_BIN=$bindir; fi
load_credentials

# ensure_port_free NAME PORT VAR: a port we are about to bind must not be taken by something else.
ensure_port_free() {
  port_open "$2" && die "port $2 (for $1) is already in use by another process: stop it or choose another port with $3=<port>"
  return 0
}

# ----- S3: versitygw --------------------------------------------------------------------------------
S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
if pid=$(daemon_pid versitygw "$S3_DATA"); then
  daemon_has_args "$pid" --port "127.0.0.1:$S3_PORT" \
    || die "versitygw is already running (pid $pid) on another port than $S3_PORT: run scripts/stack-down.sh first"
  say "ok: versitygw already running (pid $pid)"
else
  ensure_port_free versitygw "$S3_PORT" PITR_S3_PORT
  # The posix backend keeps object metadata in user xattrs; without them (some overlay/tmpfs setups) it
  # needs a sidecar folder. The choice sticks once made (the meta folder exists).
  if [[ ! -d $S3_SIDECAR ]] && ! "$SYS_PYTHON" -c '
import os, sys
p = os.path.join(sys.argv[1], ".xattr-probe"); open(p, "w").close()
try: os.setxattr(p, "user.pitr", b"1")
finally: os.unlink(p)' "$S3_ROOT" 2>/dev/null; then
    warn "no user xattrs on $S3_ROOT: versitygw will keep metadata in $S3_SIDECAR"
    mkdir -p "$S3_SIDECAR"
  fi
  sidecar=(); [[ -d $S3_SIDECAR ]] && sidecar=(--sidecar "$S3_SIDECAR")
  say "starting: versitygw on 127.0.0.1:$S3_PORT (data $S3_DATA, log $LOG_DIR/versitygw.log)"
  # Credentials through the environment, not the command line (ps would show them).
  start_daemon versitygw "$LOG_DIR/versitygw.log" \
    env ROOT_ACCESS_KEY_ID="$S3_ACCESS_KEY" ROOT_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
    "$VERSITYGW" --port "127.0.0.1:$S3_PORT" --region us-east-1 --quiet posix "${sidecar[@]}" "$S3_DATA"
fi

# ----- Temporal dev server ----------------------------------------------------------------------------
TEMPORAL_ADDR="127.0.0.1:$TEMPORAL_PORT"
if pid=$(daemon_pid temporal "$TEMPORAL_DB"); then
  daemon_has_args "$pid" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    || die "temporal is already running (pid $pid) on other ports than $TEMPORAL_PORT/$TEMPORAL_UI_PORT: run scripts/stack-down.sh first"
  say "ok: temporal already running (pid $pid)"
else
  ensure_port_free "temporal frontend" "$TEMPORAL_PORT" PITR_TEMPORAL_PORT
  ensure_port_free "temporal UI" "$TEMPORAL_UI_PORT" PITR_TEMPORAL_UI_PORT
  sa_flags=(); for sa in "${SEARCH_ATTRIBUTES[@]}"; do sa_flags+=(--search-attribute "$sa"); done
  say "starting: temporal dev server on $TEMPORAL_ADDR, UI on 127.0.0.1:$TEMPORAL_UI_PORT (db $TEMPORAL_DB, log $LOG_DIR/temporal.log)"
  start_daemon temporal "$LOG_DIR/temporal.log" \
    "$TEMPORAL" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" \
    --ui-ip 127.0.0.1 --ui-port "$TEMPORAL_UI_PORT" --db-filename "$TEMPORAL_DB" \
    --namespace default --log-level warn "${sa_flags[@]}"
fi

# ----- readiness ------------------------------------------------------------------------------------
export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
       AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_ENDPOINT_URL_S3="$S3_ENDPOINT"
wait_daemon_ready versitygw "$S3_DATA" "$LOG_DIR/versitygw.log" 30 s3_tool ready
s3_tool ensure-bucket "$BUCKET_DEFAULT" 10

temporal_cli() { "$TEMPORAL" "$@" --address "$TEMPORAL_ADDR" --namespace default --command-timeout 10s; }
wait_daemon_ready temporal "$TEMPORAL_DB" "$LOG_DIR/temporal.log" 60 \
  "$TEMPORAL" operator cluster health --address "$TEMPORAL_ADDR" --command-timeout 5s
# The namespace answers a little after the cluster reports healthy.
wait_for 30 "namespace 'default' on $TEMPORAL_ADDR" temporal_cli operator namespace describe
# Search attributes: registered at start; check them (and add any that a server started elsewhere lacks).
registered=$(temporal_cli operator search-attribute list -o json) \
  || die "cannot list search attributes on $TEMPORAL_ADDR; see $LOG_DIR/temporal.log"
for sa in "${SEARCH_ATTRIBUTES[@]}"; do
  name=${sa%%=*} type=${sa#*=}
  if ! grep -q "\"$name\"" <<<"$registered"; then
    say "registering: search attribute $name ($type)"
    temporal_cli operator search-attribute create --name "$name" --type "$type" >/dev/null
  fi
done
say "ok: search attributes ${SEARCH_ATTRIBUTES[*]}"

# ----- .stack/env -------------------------------------------------------------------------------------
( umask 077
  cat >"$ENV_FILE.tmp" <<EOF
# Written by scripts/stack-up.sh: connection settings of the local stack. Use: source .stack/env
export TEMPORAL_ADDRESS=$TEMPORAL_ADDR
export TEMPORAL_NAMESPACE=default
export TEMPORAL_CLI_PATH=$TEMPORAL
export PITR_TEMPORAL_UI=http://127.0.0.1:$TEMPORAL_UI_PORT
export PITR_TASK_QUEUE=$TASK_QUEUE
export AWS_ENDPOINT_URL=$S3_ENDPOINT
export AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export PITR_BUCKET=$BUCKET_DEFAULT
export PITR_PREFIX=
export PITR_BARMAN_HOME=$STACK_DIR/barman
export PITR_BARMAN_BIN=$BARMAN_NEWEST_BIN/barman
EOF
  if [[ -n $PG17_BIN ]]; then printf 'export PITR_PG_BIN_DIR_17=%s\n' "$PG17_BIN" >>"$ENV_FILE.tmp"; fi
)
mv "$ENV_FILE.tmp" "$ENV_FILE"
chmod 600 "$ENV_FILE"

cat <<EOF
stack up in $(elapsed "$t0")s
  Temporal   $TEMPORAL_ADDR (namespace default, task queue $TASK_QUEUE)
  Web UI     http://127.0.0.1:$TEMPORAL_UI_PORT
  S3         $S3_ENDPOINT (versitygw, bucket $BUCKET_DEFAULT)
  Barman     $BARMAN_NEWEST_BIN/barman (PITR_BARMAN_BIN)${PG17_BIN:+
  PG 17      $PG17_BIN (PITR_PG_BIN_DIR_17)}
  logs       $LOG_DIR/
  settings   source $ENV_FILE
EOF
