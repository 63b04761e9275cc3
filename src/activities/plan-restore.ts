import { Context } from '@temporalio/activity';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { inspectDestination, isClaimed } from '../io/destination';
import { openJournal } from '../io/download-journal';
import { planRestore } from '../io/restore-planner';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan } from '../shared';
import { restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

export function planRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput): Promise<RestorePlan> => {
    return adaptFailures(async () => {
      const layout = restoreWorkDir(deps, input);
      // A resumed restore finds its own partial output in the destination: recover clears that, nothing else.
      if (!(await isClaimed(input.destination, layout.claimFile))) {
        await inspectDestination(input.destination, { workRoot: deps.workRoot, force: input.force });
      }
      await mkdir(layout.root, { recursive: true });
      await takeLock(layout.lockFile, Context.current().info.workflowExecution?.workflowId ?? input.destination);
      const progress = reportProgress('Plan', deps.heartbeatIntervalMs);
      try {
        const { plan } = await planRestore(deps, {
          ...input,
          layout,
          journal: await openJournal(layout.journal),
          signal: progress.signal,
          onProgress: (current, filesDone) => progress.update({ current, filesDone }),
        });
        return { ...plan, workDir: layout.root };
      } finally {
        progress.stop();
      }
    });
  };
}

/** Second guard after the workflow ID: one restore per work area, even from a client using another ID. */
async function takeLock(lockFile: string, owner: string): Promise<void> {
  const holder = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
  if (holder && holder !== owner) {
    throw new RestoreError(FailureTypes.InvalidDestination, `restore ${holder} already owns this destination's work area (${lockFile}); wait for it, cancel it, or remove the lock file if it is gone`);
  }
  await writeFile(lockFile, `${owner}\n`);
}
