// `pitr resume ID`: runs a failed, cancelled or terminated restore again, with the inputs it was
// started with and under the same restore id. Completed work on the worker's disk (downloads in the
// journal, an extracted backup) is reused. What an ended run left in the destination is not its to
// remove any more (its claim ended with it): --force moves it aside, as for a new restore.
import { withPitrClient } from '../pitr-client';
import { followRestore } from './follow';
import { restoreIdArguments } from './usage-error';

export async function runResume(argv: string[]): Promise<number> {
  const options = { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, force: { type: 'boolean', default: false } } as const;
  const { id, values } = restoreIdArguments(argv, options, 'usage: pitr resume RESTORE_ID [--force] [--wait] [--json]');
  return withPitrClient(async (client) => {
    const handle = await client.resume(id, { force: values.force });
    const ui = client.uiLink(handle.workflowId, handle.firstExecutionRunId);
    if (!values.json) {
      console.log(`restore resumed: ${handle.workflowId} (run ${handle.firstExecutionRunId})`);
      console.log(`Temporal UI: ${ui}`);
    }
    const result = values.wait ? await followRestore(handle, { quiet: values.json ?? false }) : undefined;
    if (values.json) console.log(JSON.stringify({ id: handle.workflowId, runId: handle.firstExecutionRunId, ui, status: result ? 'COMPLETED' : 'RUNNING', result }));
    else if (result) console.log(`restore completed: ${result.restoreId}; PostgreSQL ${result.verify.state} at the target, data directory ${result.destination}`);
    return 0;
  });
}
