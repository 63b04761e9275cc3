import { Context } from '@temporalio/activity';
import { readFile, writeFile } from 'node:fs/promises';
import { assertShellSafeDestination } from '../core/destination-name';
import { parseTargetName } from '../core/recovery-targets';
import { formatBytes } from '../core/report-format';
import type { SpaceCheck } from '../core/restore-space';
import { assessSpace } from '../io/restore-dry-run';
import { inspectDestination, isClaimed } from '../io/destination';
import { pathExists } from '../io/path-exists';
import { openJournal } from '../io/download-journal';
import { planRestore } from '../io/restore-planner';
import { assertBarmanTools, detectBarman } from '../io/barman';
import { planOtherTargetRestore } from '../io/target-planner';
import { makeWorkArea } from '../io/work-dir';
import { FailureTypes, RestoreError, type OtherTarget, type RestoreInput, type RestorePlan } from '../shared';
import { restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

export function planRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput): Promise<RestorePlan> => {
    return adaptFailures(async () => {
      // Scripts start restores without the CLI: the name is checked here too, before anything else.
      assertShellSafeDestination(input.destination);
      const layout = restoreWorkDir(deps, input);
      // A resumed restore finds its own partial output in the destination: recover clears that, nothing else.
      if (!(await isClaimed(input.destination, layout.claimFile))) {
        await inspectDestination(input.destination, { workRoot: deps.workRoot, force: input.force });
      }
      // Tools later steps need, checked before hours of transfer rather than after (the PostgreSQL
      // binaries of the backup's major are checked when the planner first reads its WAL).
      assertBarmanTools(await detectBarman(deps.barmanBin));
      await makeWorkArea(layout);
      await takeLock(layout.lockFile, Context.current().info.workflowExecution?.workflowId ?? input.destination);
      const progress = reportProgress('Plan', deps.heartbeatIntervalMs);
      try {
        const request = {
          server: input.server,
          bucket: input.bucket,
          prefix: input.prefix,
          layout,
          journal: await openJournal(layout.journal),
          signal: progress.signal,
          onProgress: (current: string, filesDone: number) => progress.update({ current, filesDone }),
        };
        const { plan, backup } = input.targetTime
          ? await planRestore(deps, { ...request, targetTime: input.targetTime, backupId: input.backupId })
          : await planOtherTargetRestore(deps, { ...request, target: requiredTarget(input), backupId: input.backupId });
        // Only before this restore has put anything on disk: a resumed one already holds part of what it needs.
        if (!input.force && !(await pathExists(layout.downloads))) {
          const { space } = await assessSpace(deps, input.bucket, backup, plan, input.destination, deps.workRoot, progress.signal);
          if (!space.enough) throw new RestoreError(FailureTypes.InsufficientSpace, describeShortage(space));
        }
        return { ...plan, workDir: layout.root };
      } finally {
        progress.stop();
      }
    });
  };
}

function describeShortage(space: SpaceCheck): string {
  const area = (name: string, a: SpaceCheck['destination']) => `${name} ${a.path} needs ${formatBytes(a.requiredBytes)}, ${formatBytes(a.freeBytes)} free at ${a.measuredAt}`;
  const shared = space.sharedFilesystem ? `; both are on one filesystem, so ${formatBytes(space.requiredOnSharedBytes!)} must fit there` : '';
  return (
    `not enough disk space for this restore: ${area('the destination', space.destination)}; ${area("the worker's Barman work area", space.barmanHome)}${shared}. ` +
    'Free space (or choose another destination) and start again; --force skips this check (the restore then stops with a disk-full message where space runs out)'
  );
}

function requiredTarget(input: RestoreInput): OtherTarget {
  if (!input.otherTarget) throw new RestoreError(FailureTypes.InvalidTarget, 'the restore has no recovery target: give a time, an LSN, a transaction id, a restore point name, or immediate');
  // Scripts start restores without the CLI's parsing: a name is checked here as the CLI checks it.
  return input.otherTarget.kind === 'name' ? parseTargetName(input.otherTarget.name) : input.otherTarget;
}

/** Second guard after the workflow ID: one restore per work area, even from a client using another ID. */
async function takeLock(lockFile: string, owner: string): Promise<void> {
  const holder = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
  if (holder && holder !== owner) {
    throw new RestoreError(FailureTypes.InvalidDestination, `restore ${holder} already owns this destination's work area (${lockFile}); wait for it, cancel it, or remove the lock file if it is gone`);
  }
  await writeFile(lockFile, `${owner}\n`);
}
