#!/usr/bin/env node
// The workflow id `pitr restore ARGS...` starts its restore under, computed by the benchmark's snapshot build
// (as bench/pitr-cli.js runs it) with the CLI's own argument parsing and restoreWorkflowId: for a run whose CLI
// was stopped before it printed its --json result (bench/run-bench.sh, when the worker dies during a run).
// usage: node bench/pitr-restore-id.js restore --server NAME --dest DIR ...
const path = require('node:path');

const snapshot = process.env.PITR_BENCH_SNAPSHOT || path.join(__dirname, 'work', 'snapshot');
const [command, ...args] = process.argv.slice(2);
if (command !== 'restore') {
  console.error('usage: pitr-restore-id.js restore ARGS... (the arguments of pitr restore)');
  process.exit(2);
}
const { parseRestoreArgs } = require(path.join(snapshot, 'lib', 'src', 'cli', 'restore.js'));
const { restoreWorkflowId } = require(path.join(snapshot, 'lib', 'src', 'shared.js'));
const { input } = parseRestoreArgs(args);
console.log(restoreWorkflowId(input.server, input.destination));
