#!/usr/bin/env bash
# A new restore beside a held one (issue 13): how much it copies from the held restore's work area instead of
# downloading, and its wall time against the same restore with no held restore left. On the benchmark fixture
# (server bench, built by bench/run-bench.sh), with a worker of its own on the built lib/ (npm run build first).
# Per round: a held restore to T0 (10 s after the backup's end; not timed); `pitr restore --wait` to the fixture's
# target T into a fresh destination (timed, "with"); the held restore finished with --stop; the same restore again
# (timed, "without"). Prints one line per restore and the medians; raw JSON in bench/work/results/<time>-reuse/.
#
# usage: bench/reuse-beside-held.sh [--rounds N]      (default 3; needs the local stack: npm run stack:up)
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
rounds=3
while (( $# )); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    *) die "unknown option $1 (usage: bench/reuse-beside-held.sh [--rounds N])" ;;
  esac
done
cd "$PITR_ROOT"
load_stack_env
fixture="$BENCH_DIR/work/fixture.json"
[[ -s $fixture ]] || die "no benchmark fixture ($fixture): build it with bench/run-bench.sh --methods floor --runs 1"
read -r T T0 < <(node -e '
const f = require(process.argv[1]);
const end = Date.parse(f.backup.endTime);
console.log(f.targetTime, new Date(end + 10_000).toISOString());
' "$fixture")
out="$BENCH_DIR/work/results/$(date -u +%Y%m%dT%H%M%SZ)-reuse"
dest="$STACK_DIR/restored/reuse-bench-$$"
mkdir -p "$out" "$dest"
export PITR_TASK_QUEUE="reuse-bench-$$"
node bin/pitr-worker.js >"$out/worker.log" 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null; rm -rf "$dest"' EXIT
sleep 5
field() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const o = JSON.parse(s.trim().split("\n").at(-1)); console.log(eval(process.argv[1])); })' "$1"; }
timed_restore() { # NAME: restore to T into $dest/NAME, its JSON into $out/NAME.json; prints the wall seconds
  local start end
  start=$(date +%s%N)
  node bin/pitr.js restore --server bench --target-time "$T" --dest "$dest/$1" --wait --json >"$out/$1.json" || die "restore $1 failed (see $out/$1.json)"
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
describe() { field '`base ${o.result.base.bytesFetched} B fetched, ${o.result.base.reused?.bytes ?? 0} B copied; WAL ${o.result.wal.bytesFetched} B fetched, ${o.result.wal.reused?.bytes ?? 0} B copied`' <"$out/$1.json"; }
with=() without=()
for round in $(seq 1 "$rounds"); do
  id=$(node bin/pitr.js restore --server bench --target-time "$T0" --dest "$dest/held-$round" --hold --wait --json | field o.id)
  ms=$(timed_restore "with-$round"); with+=("$ms")
  say "round $round with the held restore:    $(printf '%.1f' "$((ms))e-3") s; $(describe "with-$round")"
  node bin/pitr.js finish "$id" --stop --json >"$out/finish-$round.json" || die "finish $id failed"
  ms=$(timed_restore "without-$round"); without+=("$ms")
  say "round $round without a held restore: $(printf '%.1f' "$((ms))e-3") s; $(describe "without-$round")"
  rm -rf "${dest:?}"/*
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }
say "median with: $(median "${with[@]}") s, without: $(median "${without[@]}") s ($rounds rounds; raw data in $out)"
