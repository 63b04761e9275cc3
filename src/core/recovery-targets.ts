// Recovery targets other than a time (LSN, transaction id, named restore point, immediate), the
// timeline and the action at the target: parsing of what a person types, and backup selection where
// backup.info can decide it. Time targets are in recovery-target.ts.
import { describeTarget, type OtherTarget, type TargetAction } from '../shared';
import type { BackupInfo } from './backup-info';
import { unrestorableKind } from './backup-kind';
import { assertRestorableKind } from './backup-selection';
import { formatLsn, parseLsn } from './wal-names';

export type { OtherTarget, TargetAction };
export const TARGET_ACTIONS: readonly TargetAction[] = ['pause', 'promote', 'shutdown'];

export class InvalidRecoveryTargetError extends Error {
  readonly type = 'InvalidTarget';
  override name = 'InvalidRecoveryTargetError';
}

export function parseTargetLsn(text: string): OtherTarget {
  if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(text.trim())) {
    throw new InvalidRecoveryTargetError(`target LSN "${text}" is not a WAL location; give it as PostgreSQL prints it, e.g. 0/3000028 (pg_current_wal_lsn())`);
  }
  return { kind: 'lsn', lsn: formatLsn(parseLsn(text.trim())) };
}

export function parseTargetXid(text: string): OtherTarget {
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,19}$/.test(trimmed)) {
    throw new InvalidRecoveryTargetError(`target transaction id "${text}" is not a positive whole number, e.g. 7252 (txid_current())`);
  }
  return { kind: 'xid', xid: trimmed };
}

export function parseTargetName(text: string): OtherTarget {
  // PostgreSQL keeps restore point names in a 64-byte buffer (MAXFNAMELEN): 63 bytes at most.
  if (text.length === 0 || new TextEncoder().encode(text).length > 63) {
    throw new InvalidRecoveryTargetError(`restore point name "${text}" must be 1 to 63 bytes long, as given to pg_create_restore_point()`);
  }
  // Barman writes `recovery_target_name = '<name>'` into postgresql.auto.conf without escaping (3.4's
  // recovery_executor.py): a quote or a line break in the name would end the value and let the rest be
  // read as more settings (a restore_command, which PostgreSQL runs through a shell).
  const unsafe = [...new Set([...text].filter((c) => c === "'" || c === '\\' || /\p{Cc}/u.test(c)))];
  if (unsafe.length > 0) {
    throw new InvalidRecoveryTargetError(
      `restore point name ${JSON.stringify(text)} holds ${unsafe.map((c) => JSON.stringify(c)).join(', ')}, which Barman would write unescaped into ` +
        'postgresql.auto.conf; such a restore point cannot be a target here. Use --target-lsn with the LSN pg_create_restore_point() returned instead',
    );
  }
  return { kind: 'name', name: text };
}

export function parseTargetAction(text: string): TargetAction {
  if (!(TARGET_ACTIONS as readonly string[]).includes(text)) {
    throw new InvalidRecoveryTargetError(`target action "${text}" is not one of ${TARGET_ACTIONS.join(', ')}`);
  }
  return text as TargetAction;
}

export function parseTargetTimeline(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text.trim()) || Number(text) > 0xffffffff) {
    throw new InvalidRecoveryTargetError(`target timeline "${text}" is not a timeline number, e.g. 2`);
  }
  return Number(text);
}

export function describeOtherTarget(target: OtherTarget): string {
  return describeTarget({ otherTarget: target });
}

export interface OtherTargetChoice {
  chosen: BackupInfo;
  reason: string;
}

/**
 * The backup to start from. An LSN picks the newest DONE backup that ends at or before it; immediate
 * picks the newest DONE backup; an xid or a restore point cannot be placed from backup.info alone,
 * so the user names the backup. A named backup must exist and be DONE.
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
  if (target.kind === 'xid' || target.kind === 'name') {
    throw new InvalidRecoveryTargetError(
      `a ${describeOtherTarget(target)} target needs --backup-id: backup.info cannot tell which backup precedes it. Completed backups, oldest first: ${available}`,
    );
  }
  const byEnd = [...done].sort((a, b) => parseLsn(a.endXlog!) - parseLsn(b.endXlog!));
  if (target.kind === 'immediate') {
    const newest = byEnd.at(-1);
    if (!newest) throw new NoBackupForOtherTargetError('there is no completed (DONE) backup');
    return { chosen: newest, reason: `backup ${newest.backupId} is the newest completed backup; immediate recovery stops as soon as it is consistent` };
  }
  const lsn = parseLsn(target.lsn);
  const fitting = byEnd.filter((b) => parseLsn(b.endXlog!) <= lsn);
  const chosen = fitting.at(-1);
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

export class NoBackupForOtherTargetError extends Error {
  readonly type = 'BackupNotFound';
  override name = 'NoBackupForOtherTargetError';
}
