#!/usr/bin/env node
// Entry of `npx pitr`: the compiled CLI (npm run build writes lib/).
// The AWS SDK is pinned to a version that supports this Node; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('../lib/src/client.js').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // A failure's message may quote names and values from the bucket: no control character reaches the terminal.
    const { terminalSafeMessage } = require('../lib/src/core/untrusted-text.js');
    console.error(`pitr: ${terminalSafeMessage(String(err && err.message ? err.message : err))}`);
    process.exit(1);
  },
);
