// `pitr cancel ID`: stops a running restore. Its current step stops through its heartbeats (child
// processes are killed), then the restore removes its staging area and its own partial output;
// anything that was in the destination before is never deleted.
import { parseArgs } from 'node:util';
import { withPitrClient } from '../pitr-client';
import { UsageError } from './usage-error';

export async function runCancel(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError('usage: pitr cancel RESTORE_ID [--wait] [--json]');
  return withPitrClient(async (client) => {
    const onRequested = values.json ? undefined : (id: string) => console.log(`cancellation requested: ${id}`);
    const { id, status } = await client.cancel(positionals[0]!, { wait: values.wait, onRequested });
    if (values.json) console.log(JSON.stringify({ id, status }));
    else if (values.wait) console.log(`restore ${id} is ${status.toLowerCase()}; staging cleaned up`);
    return 0;
  });
}
