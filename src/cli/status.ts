// `pitr status ID [--json]`
import { parseArgs } from 'node:util';
import { connectClient } from './connect';
import { followRestore } from './follow';
import { formatStatusLine, readRestoreStatus } from './restore-status';
import { UsageError } from './usage-error';
import { terminalSafeJson } from '../core/untrusted-text';

export async function runStatus(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, follow: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('usage: pitr status RESTORE_ID [--json] [--follow]');
  const connected = await connectClient();
  try {
    const handle = connected.client.workflow.getHandle(positionals[0]);
    if (values.follow && (await readRestoreStatus(handle)).status === 'RUNNING') {
      await followRestore(handle, { quiet: values.json ?? false }).catch(() => undefined);
    }
    const status = await readRestoreStatus(handle);
    // The current object and a failure's message may quote names and values from the bucket.
    console.log(values.json ? terminalSafeJson(JSON.stringify(status)) : `${status.id}: ${formatStatusLine(status)}`);
    return status.status === 'FAILED' || status.status === 'TERMINATED' || status.status === 'TIMED_OUT' ? 1 : 0;
  } finally {
    await connected.close();
  }
}
