// `pitr status ID [--json]`: a running restore's phase and progress (from describe); an ended one's record
// from its workflow history (result or failure, each step's time, what a resume would reuse).
import { settingsEnvironment } from '../settings';
import { watchRestore } from './follow';
import { describeHeld } from './held-report';
import { withPitrClient } from '../pitr-client';
import { endedRestoreReport, formatEndedReport } from './restore-report';
import { formatStatusLine } from './restore-status';
import { restoreIdArguments } from './usage-error';
import { terminalSafeJson } from '../core/untrusted-text';

export async function runStatus(argv: string[]): Promise<number> {
  const options = { json: { type: 'boolean', default: false }, follow: { type: 'boolean', default: false } } as const;
  const { id, values } = restoreIdArguments(argv, options, 'usage: pitr status RESTORE_ID [--json] [--follow]');
  return withPitrClient(async (client) => {
    const handle = client.temporal.workflow.getHandle(id);
    // Until it ends, or is held at its target (it stays so until pitr finish).
    if (values.follow) await watchRestore(handle, { quiet: values.json ?? false });
    // The history of the run describe saw (a resume starts another run under the same id).
    const { record, held, ...status } = await client.status(id);
    const failed = status.status === 'FAILED' || status.status === 'TERMINATED' || status.status === 'TIMED_OUT';
    if (!record) {
      // The current object and a failure's message may quote names and values from the bucket.
      if (values.json) console.log(terminalSafeJson(JSON.stringify(held === undefined ? status : { ...status, held })));
      else console.log(held ? `${describeHeld(status.id, held)}\n  ${formatStatusLine(status)}` : `${status.id}: ${formatStatusLine(status)}`);
      return 0;
    }
    const report = await endedRestoreReport(status, record, { localWorkRoot: settingsEnvironment().PITR_BARMAN_HOME || '/var/lib/pitr' });
    // Messages and names in the record may quote the bucket: no control character reaches the terminal.
    console.log(values.json ? terminalSafeJson(JSON.stringify(report)) : formatEndedReport(report));
    return failed ? 1 : 0;
  });
}
