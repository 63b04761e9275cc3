// Which base backup to restore for a target time: the newest completed one that ends at or before the target.
// A backup can recover to any time from its end_time on (barman's check, and CloudNativePG's rule), so a
// target exactly at end_time is allowed. Ordering is by end_time: backup ids are the backup host's local
// start time and say nothing reliable about when a backup became usable.
import { FailureTypes } from '../shared';
import type { BackupInfo } from './backup-info';
import type { UtcMicros } from './timestamp';

export interface SkippedBackup {
  backupId: string;
  why: string;
}

export interface BackupChoice {
  chosen: BackupInfo;
  /** One sentence for the history and the UI. */
  reason: string;
  /** Every backup that is not DONE or ends after the target, newest first. */
  skipped: SkippedBackup[];
}

export class NoBackupForTargetError extends Error {
  readonly type = FailureTypes.BackupNotFound;
  constructor(
    readonly target: UtcMicros,
    /** The oldest completed backup's end time; null when there is no completed backup. */
    readonly earliestReachable: UtcMicros | null,
    message: string,
  ) {
    super(message);
    this.name = 'NoBackupForTargetError';
  }
}

export function selectBackupForTime(backups: BackupInfo[], target: UtcMicros): BackupChoice {
  const sorted = [...backups].sort(newestFirst);
  const skipped: SkippedBackup[] = [];
  let chosen: BackupInfo | undefined;
  for (const backup of sorted) {
    if (backup.status !== 'DONE') {
      skipped.push({ backupId: backup.backupId, why: `status ${backup.status}` });
    } else if (backup.endTime === null) {
      skipped.push({ backupId: backup.backupId, why: 'status DONE but no end_time recorded' });
    } else if (backup.endTime > target) {
      skipped.push({ backupId: backup.backupId, why: `ends at ${backup.endTime}, after the target` });
    } else if (chosen === undefined) {
      chosen = backup;
    }
  }

  if (chosen !== undefined) {
    const equal = chosen.endTime === target ? ' (exactly at the target, which is allowed)' : '';
    return {
      chosen,
      reason:
        `backup ${chosen.backupId} is the newest completed backup ending at or before the target ` +
        `${target}: it ends at ${chosen.endTime}${equal}`,
      skipped,
    };
  }

  const done = sorted.filter((b) => b.status === 'DONE' && b.endTime !== null);
  const oldest = done[done.length - 1];
  if (oldest === undefined) {
    const found =
      backups.length === 0
        ? 'the server folder holds no backups at all'
        : `there are no completed (status DONE) backups; found ${skipped.map((s) => `${s.backupId} (${s.why})`).join(', ')}`;
    throw new NoBackupForTargetError(target, null, `no backup can reach target ${target}: ${found}.`);
  }
  throw new NoBackupForTargetError(
    target,
    oldest.endTime,
    `no backup can reach target ${target}: it is before the end of every completed backup. The earliest ` +
      `reachable time is ${oldest.endTime}, the end of backup ${oldest.backupId}; choose a target at or after it.`,
  );
}

// endTime descending, backups without one last; backup id descending breaks ties.
function newestFirst(a: BackupInfo, b: BackupInfo): number {
  if (a.endTime !== b.endTime) {
    if (a.endTime === null) return 1;
    if (b.endTime === null) return -1;
    return a.endTime > b.endTime ? -1 : 1;
  }
  return a.backupId > b.backupId ? -1 : a.backupId < b.backupId ? 1 : 0;
}
