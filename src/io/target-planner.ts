// Plans restores to an LSN, a transaction id, a named restore point, or the end of a backup
// (immediate). Like the time planner it decides the backup and the last WAL segment to fetch
// before any base backup byte is copied, and refuses a target the archive cannot reach.
import { selectBackupForOtherTarget } from '../core/backup-selection';
import { describeTarget, type OtherTarget } from '../core/recovery-target';
import { walChainFrom } from '../core/wal-plan';
import { parseLsn, segmentNameForLsn } from '../core/wal-names';
import { findRestorePoint, findTransactionEnd, type WalRecord } from '../core/wal-records';
import { FailureTypes, RestoreError } from '../shared';
import type { CatalogedBackup } from './backup-catalog';
import { assertCompleteParts, historiesUpTo, listServerBackups, planFacts, readSegmentWalRecords, unreadableSkipped, type PlannedRestore, type PlannerDeps, type PlanRequest } from './restore-planner';
import { listWalArchive, type ArchivedWalObject } from './wal-archive';
import { refuseAmbiguousTimeline } from './timeline-branches';

export interface OtherTargetPlanRequest extends Omit<PlanRequest, 'targetTime'> {
  target: OtherTarget;
  backupId?: string;
}

export async function planOtherTargetRestore(deps: PlannerDeps, request: OtherTargetPlanRequest): Promise<PlannedRestore> {
  const { server, bucket, prefix, target } = request;
  const { backups, unreadable } = await listServerBackups(deps, request);
  const choice = selectBackupForOtherTarget(
    backups.map((b) => b.info),
    target,
    request.backupId,
  );
  const backup = backups.find((b) => b.info.backupId === choice.chosen.backupId) as CatalogedBackup;
  const info = backup.info;
  if (!info.beginWal || !info.endWal || !info.endXlog || info.timeline === null || info.pgVersion === null || !info.endTime) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${info.backupId} has an incomplete backup.info (begin_wal, end_wal, end_xlog, timeline, version and end_time are required)`);
  }
  deps.pgBinDir(info.pgVersion); // a missing PostgreSQL major is refused here, before anything is fetched
  assertCompleteParts(backup, bucket, prefix, server);
  const archive = await listWalArchive(deps.s3, bucket, prefix, server, request.signal);
  const { chain } = walChainFrom(
    archive.segments.filter((s) => s.name.startsWith(info.beginWal!.slice(0, 8))),
    info.beginWal,
    info.segmentSize,
  );
  const lastArchived = chain.at(-1)?.name ?? 'nothing';
  const indexOf = (name: string) => chain.findIndex((s) => s.name === name);
  if (indexOf(info.endWal) < 0) {
    throw new RestoreError(FailureTypes.WalGap, `the WAL archive lacks segments backup ${info.backupId} needs to become consistent (${info.beginWal} to ${info.endWal}); it stops at ${lastArchived}`);
  }

  let endIndex: number;
  let reached: string;
  /** The WAL record where replay reaches the target: a later timeline that branched off at or before it makes the target ambiguous. */
  let stop: { lsn: string; description: string };
  switch (target.kind) {
    case 'immediate':
      endIndex = indexOf(info.endWal);
      reached = `consistency at ${info.endXlog}`;
      stop = { lsn: info.endXlog, description: `the end of the backup, at ${info.endXlog}` };
      break;
    case 'lsn': {
      if (parseLsn(target.lsn) < parseLsn(info.endXlog)) {
        throw new RestoreError(FailureTypes.TargetUnreachable, `LSN ${target.lsn} is before the end of backup ${info.backupId} (${info.endXlog}), where the restored cluster first becomes consistent`);
      }
      const segment = segmentNameForLsn(info.timeline, target.lsn, info.segmentSize);
      endIndex = indexOf(segment);
      if (endIndex < 0) {
        throw new RestoreError(
          FailureTypes.TargetUnreachable,
          `LSN ${target.lsn} is in segment ${segment}, which is not in the archived WAL of timeline ${info.timeline} after backup ${info.backupId} (it holds up to ${lastArchived}); archive more WAL and retry`,
        );
      }
      reached = `LSN ${target.lsn}`;
      stop = { lsn: target.lsn, description: `the target LSN itself` };
      break;
    }
    case 'xid':
    case 'name': {
      const found = await scanFor(deps, request, chain, info.pgVersion, (records) =>
        target.kind === 'xid' ? findTransactionEnd(records, target.xid) : findRestorePoint(records, target.name),
      );
      if (!found) {
        throw new RestoreError(
          FailureTypes.TargetUnreachable,
          `${describeTarget(target)} was not found in the archived WAL from backup ${info.backupId} on (${info.beginWal} to ${lastArchived}); ` +
            (target.kind === 'xid' ? 'check the transaction id, and that it ended after this backup' : 'check the name, and that it was created after this backup'),
        );
      }
      endIndex = found.index;
      reached = `${describeTarget(target)} at ${found.record.lsn}`;
      stop = { lsn: found.record.lsn, description: `its record, at ${found.record.lsn}` };
      break;
    }
    default: {
      const unchecked: never = target;
      throw new RestoreError(FailureTypes.InvalidTarget, `the restore has no recovery target (${JSON.stringify(unchecked)})`);
    }
  }

  await refuseAmbiguousTimeline(deps.s3, request, archive.histories, {
    target: `target ${describeTarget(target)}`,
    backupId: info.backupId,
    backupTimeline: info.timeline,
    backupStartLsn: info.beginXlog ?? '0/0',
    stopLsn: stop.lsn,
    stopDescription: stop.description,
  });

  return {
    backup,
    skipped: unreadableSkipped(unreadable),
    plan: { ...planFacts(backup, choice.reason, chain.slice(0, endIndex + 1), historiesUpTo(archive.histories, info.timeline)), targetReached: reached, stopLsn: stop.lsn, targetTimeline: request.targetTimeline ?? info.timeline },
  };
}

async function scanFor(
  deps: PlannerDeps,
  request: OtherTargetPlanRequest,
  chain: ArchivedWalObject[],
  pgMajor: number,
  match: (records: WalRecord[]) => WalRecord | undefined,
): Promise<{ index: number; record: WalRecord } | null> {
  for (let index = 0; index < chain.length; index++) {
    const record = match(await readSegmentWalRecords(deps, request, chain[index], pgMajor));
    request.onProgress?.(`scanned ${chain[index].name}`, index + 1);
    if (record) return { index, record };
  }
  return null;
}
