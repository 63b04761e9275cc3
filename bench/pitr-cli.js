#!/usr/bin/env node
// `pitr` as bin/pitr.js runs it, but from the benchmark's snapshot build (bench/work/snapshot/lib, made by bench/run-bench.sh).
require('./work/snapshot/lib/src/client.js').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`pitr: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
