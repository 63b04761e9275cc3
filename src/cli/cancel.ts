// `pitr cancel ID`: stops a running restore. Its current step stops through its heartbeats (child
// processes are killed), then the restore removes its staging area and its own partial output;
// anything that was in the destination before is never deleted.
import { parseArgs } from 'node:util';
import { connectClient } from './connect';
import { UsageError } from './usage-error';

export async function runCancel(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('usage: pitr cancel RESTORE_ID [--wait] [--json]');
  const connected = await connectClient();
  try {
    const handle = connected.client.workflow.getHandle(positionals[0]);
    const current = (await handle.describe()).status.name;
    if (current !== 'RUNNING') throw new UsageError(`restore ${positionals[0]} is ${current.toLowerCase()}, not running; nothing to cancel`);
    await handle.cancel();
    if (!values.json) console.log(`cancellation requested: ${handle.workflowId}`);
    let status = 'CANCEL_REQUESTED';
    if (values.wait) {
      await handle.result().catch(() => undefined);
      status = (await handle.describe()).status.name;
      if (!values.json) console.log(`restore ${handle.workflowId} is ${status.toLowerCase()}; staging cleaned up`);
    }
    if (values.json) console.log(JSON.stringify({ id: handle.workflowId, status }));
    return 0;
  } finally {
    await connected.close();
  }
}
