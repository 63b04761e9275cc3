import { openJournal } from '../io/download-journal';
import { downloadWal, historiesUpTo } from '../io/restore-planner';
import { listWalArchive } from '../io/wal-archive';
import { reclaimWorkArea, workDirLayout } from '../io/work-dir';
import { walChainFrom } from '../core/wal-plan';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan, type TransferResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { reportProgress } from './progress';

/** Downloads the planned WAL range (beginWal..endWal) and the timeline history files, in parallel. */
export function syncWalRangeActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      return withAttemptFence(deps, input, async (lost) => {
        await reclaimWorkArea(layout);
        const archive = await listWalArchive(deps.s3, input.bucket, input.prefix, input.server);
        const timeline = archive.segments.filter((s) => s.name.startsWith(plan.beginWal.slice(0, 8)));
        const { chain } = walChainFrom(timeline, plan.beginWal, plan.segmentSize);
        const endIndex = chain.findIndex((s) => s.name === plan.endWal);
        if (endIndex < 0) {
          throw new RestoreError(FailureTypes.WalGap, `WAL segment ${plan.endWal} planned for this restore is no longer in the archive (or the chain from ${plan.beginWal} broke)`);
        }
        const wals = [...chain.slice(0, endIndex + 1), ...historiesUpTo(archive.histories, plan.timeline)];
        const progress = reportProgress('SyncWal', deps.heartbeatIntervalMs, lost);
        try {
          return await downloadWal(deps, { ...input, layout, journal: await openJournal(layout.journal), signal: progress.signal }, wals, (p) => progress.update(p));
        } finally {
          progress.stop();
        }
      });
    });
}
