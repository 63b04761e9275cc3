import { chmod, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { BackupObject } from '../io/backup-catalog';
import { pathExists } from '../io/path-exists';
import { extractArchive } from '../io/tar-extract';
import { backupDir, workDirLayout } from '../io/work-dir';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan } from '../shared';
import { plannedBackup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

export interface ExtractResult {
  entries: number;
  bytesWritten: number;
  directories: number;
}

/**
 * Extracts the downloaded tarballs straight into Barman's layout: `data*.tar*` into base/<id>/data,
 * each tablespace's tars into base/<id>/<oid>. Each target is built under a temporary name and
 * renamed when complete, so a retry redoes only what did not finish.
 */
export function extractBaseBackupActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<ExtractResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const backup = await plannedBackup(deps, input, plan);
      const groups = new Map<string, BackupObject[]>();
      for (const object of backup.objects) {
        const target = object.kind === 'data' ? 'data' : String(object.tablespaceOid);
        groups.set(target, [...(groups.get(target) ?? []), object]);
      }
      const progress = reportProgress('Extract', deps.heartbeatIntervalMs);
      const result: ExtractResult = { entries: 0, bytesWritten: 0, directories: 0 };
      try {
        for (const [name, objects] of groups) {
          const finalDir = join(backupDir(layout, input.server, plan.backupId), name);
          if (await pathExists(finalDir)) continue;
          const partialDir = `${finalDir}.extracting`;
          await rm(partialDir, { recursive: true, force: true, maxRetries: 5 });
          for (const object of objects) {
            if (object.compression === 'snappy') {
              throw new RestoreError(FailureTypes.CorruptArchive, `${object.key} is snappy-compressed, which cannot be extracted here; back up with --gzip or --bzip2`);
            }
            const extracted = await extractArchive(join(layout.downloads, plan.backupId, basename(object.key)), partialDir, {
              compression: object.compression,
              signal: progress.signal,
              onProgress: (p) => progress.update({ bytesDone: p.bytesRead, bytesTotal: p.bytesTotal, filesDone: p.entries, current: basename(object.key) }),
            });
            result.entries += extracted.entries;
            result.bytesWritten += extracted.bytesWritten;
          }
          // barman-cloud tars carry no entry for PGDATA itself; PostgreSQL refuses a data directory other than 0700/0750.
          await chmod(partialDir, 0o700);
          await rename(partialDir, finalDir);
          result.directories += 1;
        }
        return result;
      } finally {
        progress.stop();
      }
    });
}
