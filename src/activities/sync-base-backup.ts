import { openJournal } from '../io/download-journal';
import { downloadObjects } from '../io/s3-download';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan, TransferResult } from '../shared';
import { backupInfoDownload, downloadPath } from './base-backup-targets';
import { plannedBackup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

/**
 * Downloads backup.info into the Barman home and the backup's tarballs into the work area, for
 * extractBaseBackup: the two steps of restores started before syncAndExtractBaseBackup fused them.
 */
export function syncBaseBackupActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const backup = await plannedBackup(deps, input, plan);
      const items = [
        backupInfoDownload(layout, plan.backupId, backup),
        ...backup.objects.map((o) => ({ key: o.key, size: o.size, etag: o.etag, localPath: downloadPath(layout, plan.backupId, o) })),
      ];
      const progress = reportProgress('SyncBase', deps.heartbeatIntervalMs);
      try {
        return await downloadObjects(deps.s3, input.bucket, items, {
          journal: await openJournal(layout.journal),
          ...deps.download,
          signal: progress.signal,
          onProgress: (p) => progress.update(p),
        });
      } finally {
        progress.stop();
      }
    });
}
