import { appendFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { recover } from '../io/barman';
import { claimDestination } from '../io/destination';
import { workDirLayout } from '../io/work-dir';
import { toBarmanTime } from '../core/timestamp';
import { FailureTypes, movedAsideSuffix, RestoreError, type RestoreInput, type RestorePlan } from '../shared';
import { barmanSetup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

/**
 * A restored copy must never archive into the source's bucket: barman only sets
 * archive_command = false, which leaves archive_mode on and WAL piling up after promotion.
 */
const SAFETY_SETTINGS = "\n# added by pitr: this is a restored copy; it must not archive into the source's WAL archive\narchive_mode = 'off'\n";

export function barmanTargetArgs(input: RestoreInput): string[] {
  if (input.targetTime) return ['--target-time', toBarmanTime(input.targetTime)];
  const target = input.otherTarget;
  switch (target?.kind) {
    case 'lsn':
      return ['--target-lsn', target.lsn];
    case 'xid':
      return ['--target-xid', target.xid];
    case 'name':
      return ['--target-name', target.name];
    case 'immediate':
      return ['--target-immediate'];
    default:
      throw new RestoreError(FailureTypes.InvalidTarget, 'the restore has no recovery target');
  }
}

export function recoverWithBarmanActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ movedAside: string | null }> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const progress = reportProgress('Recover', deps.heartbeatIntervalMs);
      try {
        const movedAside = await claimDestination(input.destination, {
          claimFile: layout.claimFile,
          owner: deps.barmanUser,
          force: input.force,
          workRoot: deps.workRoot,
          movedAsideSuffix: movedAsideSuffix(plan.backupId),
        });
        await recover(
          await barmanSetup(deps, layout, input.server),
          {
            backupId: plan.backupId,
            destination: input.destination,
            targetArgs: barmanTargetArgs(input),
            targetTimeline: input.targetTimeline ?? plan.timeline,
            targetAction: input.targetAction,
          },
          progress.signal,
        );
        await appendFile(join(input.destination, 'postgresql.auto.conf'), SAFETY_SETTINGS);
        await chmod(input.destination, 0o700);
        return { movedAside };
      } finally {
        progress.stop();
      }
    });
}
