import { extractionLimits } from '../core/extraction-limits';
import { EntryGuard, ExtractionBudget, extractArchive } from '../io/tar-extract';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan } from '../shared';
import { downloadPath, extractionTargets, publishExtraction, targetsToExtract } from './base-backup-targets';
import { plannedBackup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

export interface ExtractResult {
  entries: number;
  bytesWritten: number;
  directories: number;
}

/**
 * Extracts the downloaded tarballs straight into Barman's layout. Each target is built under a temporary
 * name and renamed when complete, so a retry redoes only what did not finish. Restores started before
 * the streaming base step (syncAndExtractBaseBackup) still run this after syncBaseBackup.
 */
export function extractBaseBackupActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<ExtractResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const backup = await plannedBackup(deps, input, plan);
      const progress = reportProgress('Extract', deps.heartbeatIntervalMs);
      const result: ExtractResult = { entries: 0, bytesWritten: 0, directories: 0 };
      // What the whole backup may expand to, from its backup.info (a crafted archive stops there, not at a full disk).
      const budget = new ExtractionBudget(extractionLimits(backup.info.recordedSize ?? null, backup.objects));
      try {
        for (const target of await targetsToExtract(extractionTargets(layout, input.server, plan.backupId, backup.objects))) {
          // The parts of one directory (data.tar, data_0001.tar, ...), in part order, share its guard.
          const guard = new EntryGuard(target.partialDir);
          for (const object of target.objects) {
            const extracted = await extractArchive(downloadPath(layout, plan.backupId, object), target.partialDir, {
              compression: object.compression,
              guard,
              budget,
              signal: progress.signal,
              onProgress: (p) => progress.update({ bytesDone: p.bytesRead, bytesTotal: p.bytesTotal, filesDone: p.entries, current: object.key }),
            });
            result.entries += extracted.entries;
            result.bytesWritten += extracted.bytesWritten;
          }
          await publishExtraction(target);
          result.directories += 1;
        }
        return result;
      } finally {
        progress.stop();
      }
    });
}
