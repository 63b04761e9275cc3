import { openJournal } from '../io/download-journal';
import { plannedWal } from '../io/restore-planner';
import { downloadWal } from '../io/wal-segments';
import { listWalArchive } from '../io/wal-archive';
import { reclaimWorkArea, workDirLayout } from '../io/work-dir';
import { type RestoreInput, type RestorePlan, type TransferResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { reportProgress } from './progress';

/** Downloads the planned WAL (beginWal..endWal along the plan's timeline path) and the path's history files, in parallel. */
export function syncWalRangeActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      return withAttemptFence(deps, input, async (lost) => {
        await reclaimWorkArea(layout);
        const archive = await listWalArchive(deps.s3, input.bucket, input.prefix, input.server);
        const wals = plannedWal(archive, plan);
        const progress = reportProgress('SyncWal', deps.heartbeatIntervalMs, lost);
        try {
          return await downloadWal(deps, { ...input, layout, journal: await openJournal(layout.journal), signal: progress.signal }, wals, (p) => progress.update(p));
        } finally {
          progress.stop();
        }
      });
    });
}
