#!/usr/bin/env node
// `pitr` as bin/pitr.js runs it, but from the benchmark's snapshot build (bench/work/snapshot/lib, or the
// folder in PITR_BENCH_SNAPSHOT, made by bench/run-bench.sh).
const path = require('node:path');

const snapshot = process.env.PITR_BENCH_SNAPSHOT || path.join(__dirname, 'work', 'snapshot');
require(path.join(snapshot, 'lib', 'src', 'client.js')).main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`pitr: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
