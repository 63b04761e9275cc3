// A held restore from the command line: `pitr advance ID TARGET` and `pitr finish ID --promote|--stop` (workflow
// updates, src/workflows/hold.ts), and how a held restore is shown (pitr restore --hold --wait, pitr status).
import { describeTarget } from '../core/recovery-target';
import { terminalSafeJson, terminalSafeMessage } from '../core/untrusted-text';
import { RestoreError, withPitrClient } from '../pitr-client';
import { describeAdvance } from './held-report';
import { describeResult } from './restore';
import { TARGET_OPTIONS, targetFromFlags } from './target-arguments';
import { restoreIdArguments, UsageError } from './usage-error';

export const ADVANCE_USAGE = `pitr advance RESTORE_ID TARGET [--json]
                                             move a held restore's target later (TARGET as for restore); replay goes on
                                             from where it paused, with only the WAL not yet fetched`;
export const FINISH_USAGE = `pitr finish RESTORE_ID --promote|--stop [--json]
                                             end a held restore: promote its PostgreSQL, or stop it paused at the target`;

export async function runAdvance(argv: string[]): Promise<number> {
  const { id, values } = restoreIdArguments(argv, { ...TARGET_OPTIONS, json: { type: 'boolean', default: false } }, `usage: ${ADVANCE_USAGE}`);
  const target = targetFromFlags(values, ADVANCE_USAGE);
  return withPitrClient(async (client) => {
    if (!values.json) console.log(`advancing ${id} to ${describeTarget(target)} ...`);
    return await refusedOrFailed(async () => {
      const result = await client.advance(id, target);
      console.log(values.json ? terminalSafeJson(JSON.stringify(result)) : describeAdvance(result));
    });
  });
}

/** A decision the restore refused (the reason) or that failed (the step's message): said on stderr, exit status 1, as a failed restore. */
async function refusedOrFailed(decide: () => Promise<void>): Promise<number> {
  try {
    await decide();
    return 0;
  } catch (err) {
    if (!(err instanceof RestoreError || err instanceof UsageError)) throw err;
    // The message may quote names from the bucket or the log.
    console.error(`pitr: ${err instanceof RestoreError ? `${err.type}: ` : ''}${terminalSafeMessage(err.message)}`);
    return 1;
  }
}

export async function runFinish(argv: string[]): Promise<number> {
  const options = { promote: { type: 'boolean', default: false }, stop: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } as const;
  const usage = `give the restore id and one of --promote or --stop\nusage: ${FINISH_USAGE}`;
  const { id, values } = restoreIdArguments(argv, options, usage);
  if (values.promote === values.stop) throw new UsageError(usage);
  return withPitrClient(async (client) => {
    return await refusedOrFailed(async () => {
      const result = await client.finish(id, values.promote ? 'promote' : 'stop');
      console.log(values.json ? terminalSafeJson(JSON.stringify(result)) : describeResult(result));
    });
  });
}
