#!/usr/bin/env bash
# npm test: installs what is missing, starts the local stack (Temporal dev server, versitygw), builds
# the real barman-cloud fixtures (the default one, then every case of scripts/fixture-matrix.txt), then
# runs every suite: unit, workflow (real dev server, mocked activities) and integration (everything
# real). A stack this script started is stopped again.
. "$(dirname "$0")/lib.sh"
cd "$PITR_ROOT"

stack_was_up=false
if daemon_pid temporal "$TEMPORAL_DB" >/dev/null && daemon_pid versitygw "$S3_DATA" >/dev/null; then stack_was_up=true; fi

bash scripts/bootstrap.sh
bash scripts/stack-up.sh
if [[ $stack_was_up == false && -z ${PITR_KEEP_STACK:-} ]]; then
  trap 'bash scripts/stack-down.sh >/dev/null || true' EXIT
fi
bash scripts/make-fixture.sh
t_matrix=$(now_s)
while read -r server barman base wal major shape rest; do
  [[ -z $server || $server == \#* ]] && continue
  [[ -n $shape && -z $rest ]] || die "$FIXTURE_MATRIX: malformed line for '$server' (6 columns: server barman base wal pg shape)"
  bash scripts/make-fixture.sh --server "$server" --barman "$barman" --base-compression "$base" \
    --wal-compression "$wal" --pg-major "$major" --shape "$shape" </dev/null | tail -n 1
done <"$FIXTURE_MATRIX"
say "fixture matrix ready in $(elapsed "$t_matrix")s ($FIXTURES_DIR)"
set -a; . "$ENV_FILE"; set +a

npm run -s build
log="$LOG_DIR/mocha.log"
set +e
npx mocha --exit --reporter spec \
  'lib/test/unit/**/*.test.js' 'lib/test/workflow/**/*.test.js' 'lib/test/replay/**/*.test.js' 'lib/test/integration/**/*.test.js' "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' || echo 0)
printf 'tests: %s passed, %s failed\n' "$passed" "$failed"
exit "$status"
