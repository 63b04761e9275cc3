#!/usr/bin/env node
// Entry of `npx pitr-worker`: the worker from the built package (npm run build writes lib/), in this very
// process, so that a SIGTERM or SIGINT from whoever sends it (a supervisor, a container runtime, `timeout`)
// reaches the worker, which stops polling, lets running steps finish (PITR_SHUTDOWN_GRACE_S) and exits.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'lib', 'src', 'worker.js');
if (!existsSync(built)) {
  console.error(`pitr-worker: ${built} is missing: build the package once with \`npm run build\`, then start the worker again`);
  process.exit(1);
}
require(built).runWorker().then(
  () => process.exit(0),
  (err) => {
    console.error(`pitr-worker: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
