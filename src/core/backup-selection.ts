// Which base backup to restore for a target time: the newest completed one that ends at or before the target.
// A backup can recover to any time from its end_time on (barman's check, and CloudNativePG's rule), so a
// target exactly at end_time is allowed; the planner, once it has read the WAL, still passes over a backup
// whose end_xlog comes after the stop (BackupNotConsistentAtTargetError below). Ordering is by end_time:
// backup ids are the backup host's local start time and say nothing reliable about when a backup became
// usable. For the other targets, see selectBackupForOtherTarget.
import { FailureTypes, RestoreError } from '../shared';
import type { BackupInfo } from './backup-info';
import { unrestorableKind } from './backup-kind';
import { describeTarget, InvalidTargetError, unknownKind, type OtherTarget } from './recovery-target';
import type { UtcMicros } from './timestamp';
import { parseLsn } from './wal-names';

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

export class NoBackupForTargetError extends RestoreError {
  constructor(
    readonly target: UtcMicros,
    /** The oldest completed backup's end time; null when there is no completed backup. */
    readonly earliestReachable: UtcMicros | null,
    message: string,
  ) {
    super(FailureTypes.BackupNotFound, message);
    this.name = 'NoBackupForTargetError';
  }
}

/**
 * A backup whose end_time is at or before a target time, but whose WAL up to end_xlog (where the restored
 * cluster first becomes consistent) holds a commit later than the target: replay would stop there, and
 * PostgreSQL refuses to stop before consistency ("requested recovery stop point is before consistent recovery
 * point", src/backend/access/transam/xlogrecovery.c). barman-cloud takes end_time as now() of the transaction
 * that calls pg_backup_stop() (barman/postgres.py, stop_concurrent_backup), before the function writes the
 * backup's end record, so commits of those milliseconds follow end_time yet precede end_xlog.
 */
export class BackupNotConsistentAtTargetError extends NoBackupForTargetError {
  /** For `pitr plan`'s list of backups not chosen. */
  readonly why: string;

  constructor(
    readonly backupId: string,
    facts: { target: UtcMicros; endTime: UtcMicros; endXlog: string; stop: { time: UtcMicros; lsn: string }; lastCommitBeforeConsistency: UtcMicros | null },
    named: boolean,
  ) {
    const earliest = facts.lastCommitBeforeConsistency !== null && facts.lastCommitBeforeConsistency > facts.endTime ? facts.lastCommitBeforeConsistency : facts.endTime;
    const why =
      `becomes consistent only at ${facts.endXlog}, after the commit at ${facts.stop.time} where replay would stop (${facts.stop.lsn}): ` +
      `its end_time ${facts.endTime} was read when pg_backup_stop() began, before the backup's last WAL was written`;
    const otherwise = named ? ', or name an older backup or leave out --backup-id' : ' (no older completed backup reaches the target)';
    super(facts.target, earliest, `backup ${backupId} cannot reach target ${facts.target}: it ${why}. The earliest reachable time is ${earliest}: choose a target at or after it${otherwise}.`);
    this.why = why;
    this.name = 'BackupNotConsistentAtTargetError';
  }
}

/** A backup named with --backup-id that cannot be restored from here: what it is and what would restore it. */
export class UnsupportedBackupError extends RestoreError {
  constructor(message: string) {
    super(FailureTypes.UnsupportedBackup, message);
    this.name = 'UnsupportedBackupError';
  }
}

/** Refuses a backup that is not a plain tarball backup, naming its kind (for a backup the user named). */
export function assertRestorableKind(backup: BackupInfo): void {
  const unrestorable = unrestorableKind(backup);
  if (unrestorable) throw new UnsupportedBackupError(`backup ${backup.backupId} cannot be restored by pitr: ${unrestorable.explanation}`);
}

export function selectBackupForTime(backups: BackupInfo[], target: UtcMicros, backupId?: string): BackupChoice {
  if (backupId !== undefined) return namedBackupForTime(backups, target, backupId);
  const sorted = [...backups].sort(newestFirst);
  const skipped: SkippedBackup[] = [];
  let chosen: BackupInfo | undefined;
  for (const backup of sorted) {
    const unrestorable = unrestorableKind(backup);
    if (backup.status !== 'DONE') {
      skipped.push({ backupId: backup.backupId, why: `status ${backup.status}` });
    } else if (unrestorable) {
      skipped.push({ backupId: backup.backupId, why: `${unrestorable.kind}: ${unrestorable.explanation}` });
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

  const done = sorted.filter((b) => b.status === 'DONE' && b.endTime !== null && unrestorableKind(b) === null);
  const oldest = done[done.length - 1];
  if (oldest === undefined) {
    const found =
      backups.length === 0
        ? 'the server folder holds no backups at all'
        : `there are no completed (status DONE) backups of a kind pitr restores; found ${skipped.map((s) => `${s.backupId} (${s.why})`).join(', ')}`;
    throw new NoBackupForTargetError(target, null, `no backup can reach target ${target}: ${found}.`);
  }
  throw new NoBackupForTargetError(
    target,
    oldest.endTime,
    `no backup can reach target ${target}: it is before the end of every completed backup. The earliest ` +
      `reachable time is ${oldest.endTime}, the end of backup ${oldest.backupId}; choose a target at or after it.`,
  );
}

function namedBackupForTime(backups: BackupInfo[], target: UtcMicros, backupId: string): BackupChoice {
  const named = backups.find((b) => b.backupId === backupId);
  const available = backups.filter((b) => b.status === 'DONE' && unrestorableKind(b) === null).map((b) => b.backupId).join(', ') || 'none';
  if (!named) throw new NoBackupForTargetError(target, null, `backup ${backupId} does not exist; backups pitr can restore: ${available}`);
  if (named.status !== 'DONE') throw new NoBackupForTargetError(target, null, `backup ${backupId} has status ${named.status}, not DONE; backups pitr can restore: ${available}`);
  assertRestorableKind(named);
  if (named.endTime === null || named.endTime > target) {
    throw new NoBackupForTargetError(
      target,
      named.endTime,
      `backup ${backupId} cannot reach target ${target}: ${named.endTime === null ? 'it has no end_time' : `it ends at ${named.endTime}, after the target`}; name an older backup or leave out --backup-id`,
    );
  }
  return { chosen: named, reason: `backup ${backupId} was named with --backup-id; it ends at ${named.endTime}, at or before the target ${target}`, skipped: [] };
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

export type OtherTargetChoice = Pick<BackupChoice, 'chosen' | 'reason'>;

export class NoBackupForOtherTargetError extends RestoreError {
  constructor(message: string) {
    super(FailureTypes.BackupNotFound, message);
  }
  override name = 'NoBackupForOtherTargetError';
}

/**
 * The backup to start from for a target other than a time. An LSN picks the newest DONE backup that ends at
 * or before it; immediate picks the newest DONE backup; an xid or a restore point cannot be placed from
 * backup.info alone, so the user names the backup. A named backup must exist and be DONE.
 */
export function selectBackupForOtherTarget(backups: BackupInfo[], target: OtherTarget, backupId?: string): OtherTargetChoice {
  const done = backups.filter((b) => b.status === 'DONE' && b.endXlog !== null && unrestorableKind(b) === null);
  const available = done.map((b) => b.backupId).join(', ') || 'none';
  if (backupId !== undefined) {
    const named = backups.find((b) => b.backupId === backupId);
    if (!named) throw new NoBackupForOtherTargetError(`backup ${backupId} does not exist; completed backups: ${available}`);
    if (named.status !== 'DONE') throw new NoBackupForOtherTargetError(`backup ${backupId} has status ${named.status}, not DONE; completed backups: ${available}`);
    assertRestorableKind(named);
    return { chosen: named, reason: `backup ${backupId} was named with --backup-id` };
  }
  const byEnd = [...done].sort((a, b) => parseLsn(a.endXlog!) - parseLsn(b.endXlog!));
  switch (target.kind) {
    case 'xid':
    case 'name':
      throw new InvalidTargetError(
        describeTarget(target),
        `a ${describeTarget(target)} target needs --backup-id: backup.info cannot tell which backup precedes it. Completed backups, oldest first: ${available}`,
      );
    case 'immediate': {
      const newest = byEnd.at(-1);
      if (!newest) throw new NoBackupForOtherTargetError('there is no completed (DONE) backup');
      return { chosen: newest, reason: `backup ${newest.backupId} is the newest completed backup; immediate recovery stops as soon as it is consistent` };
    }
    case 'lsn': {
      const lsn = parseLsn(target.lsn);
      const chosen = byEnd.filter((b) => parseLsn(b.endXlog!) <= lsn).at(-1);
      if (!chosen) {
        const earliest = byEnd[0]?.endXlog;
        throw new NoBackupForOtherTargetError(
          earliest
            ? `no completed backup ends at or before LSN ${target.lsn}; the earliest reachable LSN is ${earliest}, the end of backup ${byEnd[0].backupId}`
            : 'there is no completed (DONE) backup',
        );
      }
      return { chosen, reason: `backup ${chosen.backupId} is the newest completed backup ending at or before LSN ${target.lsn}: it ends at ${chosen.endXlog}` };
    }
    default:
      return unknownKind(target);
  }
}
