// `pitr cancel ID`: stops a running restore. Its current step stops through its heartbeats (child
// processes are killed), then the restore removes its staging area and its own partial output;
// anything that was in the destination before is never deleted.
import { parseArgs } from 'node:util';
import { connectClient } from './connect';
import { UsageError } from './usage-error';

export async function runCancel(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { wait: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('usage: pitr cancel RESTORE_ID [--wait]');
  const connected = await connectClient();
  try {
    const handle = connected.client.workflow.getHandle(positionals[0]);
    const status = (await handle.describe()).status.name;
    if (status !== 'RUNNING') throw new UsageError(`restore ${positionals[0]} is ${status.toLowerCase()}, not running; nothing to cancel`);
    await handle.cancel();
    console.log(`cancellation requested: ${handle.workflowId}`);
    if (values.wait) {
      await handle.result().catch(() => undefined);
      console.log(`restore ${handle.workflowId} is ${(await handle.describe()).status.name.toLowerCase()}; staging cleaned up`);
    }
    return 0;
  } finally {
    await connected.close();
  }
}
