#!/usr/bin/env bash
# Install what the local stack needs, idempotently: Debian packages (PostgreSQL, barman, barman-cli-cloud,
# python3-boto3, rsync, awscli), the Temporal CLI and the versitygw S3 server (pinned `go install` into
# .tools/bin), and node_modules. Prints one line per thing: `ok: …` or `installing: …`.
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

failed=()
for name in "${!build_pid[@]}"; do
  if wait "${build_pid[$name]}" && works "$TOOLS_BIN/$name"; then
    say "ok: $name ($TOOLS_BIN/$name, built)"
  else
    log_tail "${build_log[$name]}" 30
    failed+=("$name")
  fi
done
(( ${#failed[@]} == 0 )) || die "go install failed for: ${failed[*]} (logs in $TOOLS_DIR/logs/)"

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
