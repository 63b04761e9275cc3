// `pitr cancel ID`: stops a running restore. Its current step stops through its heartbeats (child
// processes are killed), then the restore removes its staging area and its own partial output;
// anything that was in the destination before is never deleted.
import { withPitrClient } from '../pitr-client';
import { restoreIdArguments } from './usage-error';

export async function runCancel(argv: string[]): Promise<number> {
  const options = { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } as const;
  const { id: restoreId, values } = restoreIdArguments(argv, options, 'usage: pitr cancel RESTORE_ID [--wait] [--json]');
  return withPitrClient(async (client) => {
    const onRequested = values.json ? undefined : (id: string) => console.log(`cancellation requested: ${id}`);
    const { id, status } = await client.cancel(restoreId, { wait: values.wait, onRequested });
    if (values.json) console.log(JSON.stringify({ id, status }));
    else if (values.wait) console.log(`restore ${id} is ${status.toLowerCase()}; staging cleaned up`);
    return 0;
  });
}
