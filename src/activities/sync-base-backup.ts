import { basename, join } from 'node:path';
import { openJournal } from '../io/download-journal';
import { downloadObjects } from '../io/s3-download';
import { backupDir, workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan, TransferResult } from '../shared';
import { plannedBackup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

/** Downloads backup.info into the Barman home and the backup's tarballs into the work area. */
export function syncBaseBackupActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const backup = await plannedBackup(deps, input, plan);
      const items = [
        { key: backup.infoKey, size: backup.infoSize, etag: backup.infoEtag, localPath: join(backupDir(layout, input.server, plan.backupId), 'backup.info') },
        ...backup.objects.map((o) => ({ key: o.key, size: o.size, etag: o.etag, localPath: join(layout.downloads, plan.backupId, basename(o.key)) })),
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
