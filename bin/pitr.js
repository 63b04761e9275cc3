#!/usr/bin/env node
// Entry of `npx pitr`: the compiled CLI (npm run build writes lib/).
require('../lib/src/client.js').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`pitr: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
