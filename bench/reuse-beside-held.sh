#!/usr/bin/env bash
# A new restore beside a held one (issue 13): how much it reuses from the held restore's work area (its extracted
# base backup linked, backup.info and WAL copied) instead of downloading and extracting, and its wall time against the same restore with no held restore left. On the benchmark fixture
# (server bench, built by bench/run-bench.sh), with a worker of its own on the built lib/ (npm run build first).
# Per round: a held restore to T0 (10 s after the backup's end; not timed); `pitr restore --wait` to the fixture's
# target T into a fresh destination (timed, "with"); the held restore finished with --stop; the same restore again
# (timed, "without"). Prints one line per restore and the medians; raw JSON in bench/work/results/<time>-reuse/.
# In the first round, while the restore is held, bench/extraction-sources.js also times the ways of taking its
# base backup: linking the held extracted directory (what the reuse does), copying it, streaming it through the
# guarded extractor, or extracting the held tarball.
# --s3-bytes-per-second N puts the worker behind the S3 fault proxy (test/support/s3-fault-proxy.ts) throttled
# to N bytes a second, all responses together: a bucket across a network, where the download is what costs.
#
# usage: bench/reuse-beside-held.sh [--rounds N] [--s3-bytes-per-second N]
#        (default 3 rounds, S3 unthrottled; needs the local stack: npm run stack:up)
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib-bench.sh"
rounds=3 s3_bytes_per_second=0
while (( $# )); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --s3-bytes-per-second) s3_bytes_per_second=$2; shift 2 ;;
    *) die "unknown option $1 (usage: bench/reuse-beside-held.sh [--rounds N] [--s3-bytes-per-second N])" ;;
  esac
done
cd "$PITR_ROOT"
load_stack_env
fixture="$BENCH_DIR/work/fixture.json"
[[ -s $fixture ]] || die "no benchmark fixture ($fixture): build it with bench/run-bench.sh --methods floor --runs 1"
[[ $s3_bytes_per_second =~ ^[0-9]+$ ]] || die "--s3-bytes-per-second must be a whole number of bytes, not '$s3_bytes_per_second'"
read -r T T0 backup_id < <(node -e '
const f = require(process.argv[1]);
const end = Date.parse(f.backup.endTime);
console.log(f.targetTime, new Date(end + 10_000).toISOString(), f.backup.id);
' "$fixture")
out="$BENCH_DIR/work/results/$(date -u +%Y%m%dT%H%M%SZ)-reuse"
dest="$STACK_DIR/restored/reuse-bench-$$"
mkdir -p "$out" "$dest"
export PITR_TASK_QUEUE="reuse-bench-$$"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$dest"' EXIT
worker_env=()
if (( s3_bytes_per_second > 0 )); then
  node -e '
const { startS3FaultProxy } = require(process.argv[1]);
startS3FaultProxy({ bytesPerSecond: Number(process.argv[2]) }).then((p) => console.log(p.endpoint));
' "$PITR_ROOT/lib/test/support/s3-fault-proxy.js" "$s3_bytes_per_second" >"$out/proxy.endpoint" 2>"$out/proxy.log" &
  pids+=($!)
  sleep 2
  endpoint=$(<"$out/proxy.endpoint")
  [[ $endpoint == http://* ]] || die "the S3 proxy did not start (see $out/proxy.log)"
  worker_env=(AWS_ENDPOINT_URL="$endpoint" AWS_ENDPOINT_URL_S3="$endpoint")
  say "worker's S3 throttled to $s3_bytes_per_second B/s through $endpoint"
fi
env "${worker_env[@]}" node bin/pitr-worker.js >"$out/worker.log" 2>&1 &
pids+=($!)
sleep 5
field() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const o = JSON.parse(s.trim().split("\n").at(-1)); console.log(eval(process.argv[1])); })' "$1"; }
timed_restore() { # NAME: restore to T into $dest/NAME, its JSON into $out/NAME.json; prints the wall seconds
  local start end
  start=$(date +%s%N)
  node bin/pitr.js restore --server bench --target-time "$T" --dest "$dest/$1" --wait --json >"$out/$1.json" || die "restore $1 failed (see $out/$1.json)"
  end=$(date +%s%N)
  node bin/pitr.js status "$(field o.id <"$out/$1.json")" --json >"$out/$1.status.json" || die "pitr status of restore $1 failed"
  echo $(( (end - start) / 1000000 ))
}
describe() { field '`base ${o.result.base.bytesFetched} B fetched, ${o.result.base.reused?.bytes ?? 0} B reused (${o.result.base.reused?.linkedDirectories ?? 0} extracted directories linked); WAL ${o.result.wal.bytesFetched} B fetched, ${o.result.wal.reused?.bytes ?? 0} B copied`' <"$out/$1.json"; }
# step_medians PREFIX: each step's median time (pitr status --json of every PREFIX-N restore), in seconds
step_medians() {
  node -e '
const [out, prefix, bench] = process.argv.slice(1);
const fs = require("node:fs");
const { median } = require(`${bench}/median.js`);
const byStep = new Map();
for (const f of fs.readdirSync(out).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(".status.json"))) {
  for (const s of JSON.parse(fs.readFileSync(`${out}/${f}`, "utf8")).steps) byStep.set(s.name, [...(byStep.get(s.name) ?? []), s.durationMs]);
}
console.log([...byStep].map(([name, ms]) => `${name} ${(median(ms) / 1000).toFixed(1)}`).join(", "));
' "$out" "$1" "$BENCH_DIR"
}
with=() without=()
for round in $(seq 1 "$rounds"); do
  id=$(node bin/pitr.js restore --server bench --target-time "$T0" --dest "$dest/held-$round" --hold --wait --json | field o.id)
  ms=$(timed_restore "with-$round"); with+=("$ms")
  say "round $round with the held restore:    $(printf '%.1f' "$((ms))e-3") s; $(describe "with-$round")"
  if (( round == 1 )); then
    area="$PITR_BARMAN_HOME/restores/$(node -e 'console.log(require(process.argv[1]).workDirName("bench", process.argv[2]))' "$PITR_ROOT/lib/src/io/work-dir.js" "$dest/held-$round")"
    node bench/extraction-sources.js --area "$area" --server bench --backup-id "$backup_id" --owner "${PITR_BARMAN_USER:-postgres}" \
      --scratch "$dest/extraction" --runs "$rounds" >"$out/extraction.json" || die "extraction-sources.js failed"
    say "base backup taken from the held restore (median of $rounds): $(field 'Object.entries(o).map(([m, r]) => `${m} ${(r.medianMs / 1000).toFixed(2)} s (${r.ratio}x)`).join(", ")' <"$out/extraction.json")"
  fi
  node bin/pitr.js finish "$id" --stop --json >"$out/finish-$round.json" || die "finish $id failed"
  ms=$(timed_restore "without-$round"); without+=("$ms")
  say "round $round without a held restore: $(printf '%.1f' "$((ms))e-3") s; $(describe "without-$round")"
  rm -rf "${dest:?}"/*
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'; }
say "median with: $(median "${with[@]}") s, without: $(median "${without[@]}") s ($rounds rounds; raw data in $out)"
say "median step times (s) with:    $(step_medians with)"
say "median step times (s) without: $(step_medians without)"
