#!/usr/bin/env node
// Entry of `npx pitr`: the compiled CLI (npm run build writes lib/).
// The AWS SDK is pinned to a version that supports this Node; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Exits once what was printed has reached the reader: a pipe takes 64 KiB at once, and process.exit() right
 * after console.log would cut a longer output (pitr list --json of a busy namespace) there.
 */
function exitAfterOutput(code) {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

require('../lib/src/client.js').main(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (err) => {
    // A failure's message may quote names and values from the bucket: no control character reaches the terminal.
    const { terminalSafeMessage } = require('../lib/src/core/untrusted-text.js');
    console.error(`pitr: ${terminalSafeMessage(String(err && err.message ? err.message : err))}`);
    exitAfterOutput(1);
  },
);
