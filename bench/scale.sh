#!/usr/bin/env bash
# The scale benchmark of issue 5: do the restore's history event count and the worker's memory grow with
# the number of WAL segments or with the backup size? Runs bench/run-bench.sh --methods pitr on each
# fixture of the matrix below (each cached under its own name, built on first use by
# bench/make-bench-fixture.sh; see bench_select_fixture in lib-bench.sh) and writes bench/scale-results.md
# from the measured runs (bench/scale-report.py): one row a fixture.
#   small-10   ~64 MB base,     10 WAL segments, 300 pgbench transactions each
#   small-1k   ~64 MB base,  1,120 WAL segments, 1 transaction each (small segments); ~1,010 are restored
#   default    ~1 GB base,     200 WAL segments, 300 transactions each: the fixture of `npm run bench`
#
# usage: bash bench/scale.sh [--src REV|worktree] [--runs N] [--out FILE]
#   --src REV|worktree   code of the restores, as in run-bench.sh (default HEAD, resolved once to a commit
#                        so that every fixture runs the same code)
#   --runs N             pitr runs on each fixture (default 2)
#   --out FILE           the table (default bench/scale-results.md)
# Needs the local stack (npm run stack:up) and root, like run-bench.sh. Logs and each invocation's own
# results file go to bench/work/scale/<time>/; raw data to bench/work/results/<time>[-NAME]/.
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"

# name  size-mb  wal-segments  txn-per-segment
MATRIX=(
  "small-10   64    10    300"
  "small-1k   64    1120  1"
  "default    1024  200   300"
)

src_from=HEAD runs=2 out_file="$BENCH_DIR/scale-results.md"
while (( $# )); do
  case $1 in
    --src) src_from=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out_file=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see $0 --help)" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive whole number"
if [[ $src_from != worktree ]]; then
  src_from=$(git -C "$PITR_ROOT" rev-parse --verify -q "$src_from^{commit}") || die "--src: '$src_from' is not a commit (or worktree)"
fi
require_root
load_stack_env

SCALE_DIR="$BENCH_WORK/scale/$(date -u +%Y%m%dT%H%M%SZ)"
INVOCATIONS="$SCALE_DIR/invocations.txt"     # one invocation folder a line, in matrix order

# run_on_fixture NAME SIZE_MB WAL_SEGMENTS TXN_PER_SEGMENT: one run-bench.sh invocation (pitr only) on
# fixture NAME; its log in $SCALE_DIR/NAME.log, its invocation folder appended to $INVOCATIONS.
run_on_fixture() {
  local name=$1 size_mb=$2 wal_segments=$3 txn=$4 log="$SCALE_DIR/$1.log" t inv
  say "== fixture $name: $size_mb MB, $wal_segments WAL segments x $txn transactions; $runs pitr runs (log: $log)"
  t=$(now_s)
  bash "$BENCH_DIR/run-bench.sh" --fixture "$name" --size-mb "$size_mb" --wal-segments "$wal_segments" \
      --txn-per-segment "$txn" --methods pitr --runs "$runs" --src "$src_from" --out "$SCALE_DIR/$name-results.md" \
    >"$log" 2>&1 || { log_tail "$log"; die "run-bench.sh failed on fixture $name; see $log"; }
  # run-bench.sh names its invocation folder in a line "invocation folder: DIR"
  inv=$(sed -n 's/^invocation folder: //p' "$log" | tail -1)
  [[ -d $inv ]] || die "no invocation folder in $log"
  printf '%s\n' "$inv" >>"$INVOCATIONS"
  grep -E '^\[fixture .*wrote|^fixture: (cached|backup)|^  pitr ' "$log" | sed 's/^/  /' || true
  say "   done in $(elapsed "$t") s"
}

mkdir -p "$SCALE_DIR"
: >"$INVOCATIONS"
t_all=$(now_s)
say "scale benchmark: code $src_from, ${#MATRIX[@]} fixtures; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for row in "${MATRIX[@]}"; do
  read -r name size_mb wal_segments txn <<<"$row"
  run_on_fixture "$name" "$size_mb" "$wal_segments" "$txn"
done
say "all fixtures done in $(elapsed "$t_all") s"
mapfile -t invs <"$INVOCATIONS"
"$SYS_PYTHON" "$BENCH_DIR/scale-report.py" "$out_file" "${invs[@]}"
