// `pitr status ID [--json]`
import { parseArgs } from 'node:util';
import { connectClient } from './connect';
import { formatStatusLine, readRestoreStatus } from './restore-status';
import { UsageError } from './usage-error';

export async function runStatus(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('usage: pitr status RESTORE_ID [--json]');
  const connected = await connectClient();
  try {
    const status = await readRestoreStatus(connected.client.workflow.getHandle(positionals[0]));
    console.log(values.json ? JSON.stringify(status) : `${status.id}: ${formatStatusLine(status)}`);
    return 0;
  } finally {
    await connected.close();
  }
}
