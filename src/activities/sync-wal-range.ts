import { reusedNote } from '../io/local-copies';
import { plannedWal } from '../io/restore-planner';
import { downloadWal } from '../io/wal-segments';
import { listWalArchive } from '../io/wal-archive';
import { reclaimWorkArea, workDirLayout } from '../io/work-dir';
import { type RestoreInput, type RestorePlan, type TransferResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { plannerRequest } from './plan-restore';
import { withProgress } from './progress';

/**
 * Downloads the planned WAL (beginWal..endWal along the plan's timeline path) and the path's history files, in
 * parallel. A segment another restore of this server holds in its Barman home, as its journal recorded it
 * (a held restore; not one the stage step decompressed, which is another file), is copied instead.
 */
export function syncWalRangeActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      return withAttemptFence(deps, input, async (lost) => {
        await reclaimWorkArea(layout);
        const archive = await listWalArchive(deps.s3, input.bucket, input.prefix, input.server);
        const wals = plannedWal(archive, plan);
        return withProgress('SyncWal', deps.heartbeatIntervalMs, lost, async (progress) => {
          // Where the plan read its WAL (plannerRequest): the same work area, journal and local copies.
          const request = await plannerRequest(deps, input, layout, progress);
          return await downloadWal(deps, request, wals, ({ objectsReused = 0, ...p }) =>
            progress.update(objectsReused > 0 ? { ...p, current: `${p.current ?? ''}${reusedNote(objectsReused)}` } : p),
          );
        });
      });
    });
}
