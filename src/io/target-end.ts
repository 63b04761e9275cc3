// Where replay reaches each kind of target on the planned WAL chain, found by reading WAL (pg_waldump), never by
// S3 LastModified: a time stops before the first commit after it, an LSN at itself, an xid at its end record, a
// restore point at its record, immediate at the end of the backup. Also what the timeline path leaves behind
// (core/timeline-path.ts), with the first commit the abandoned side wrote after the switch.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlannableBackupInfo } from '../core/backup-info';
import { BackupNotConsistentAtTargetError } from '../core/backup-selection';
import { findFirstCommitAfter, unreachableTimeMessage } from '../core/commit-search';
import { describeTarget, unknownKind, type RecoveryTarget } from '../core/recovery-target';
import { abandonedHistories, describeAbandoned, describePath, pathSpans, type TimelinePath } from '../core/timeline-path';
import { spanForIndex } from '../core/timeline-history';
import type { TimelineHistoryOf } from '../core/timeline-branches';
import { fromDate, type UtcMicros } from '../core/timestamp';
import { firstScanIndex } from '../core/wal-plan';
import { isSegmentName, parseLsn, parseSegmentName, segmentFromIndex, segmentIndex } from '../core/wal-names';
import { findRestorePoint, findTransactionEnd, type WalRecord } from '../core/wal-records';
import { FailureTypes, RestoreError, type AbandonedHistoryNote, type FailureType, type RestorePlan } from '../shared';
import { readSegmentRecords, readSegmentWalRecords, type PlannerDeps, type SegmentReadRequest } from './wal-segments';
import type { ArchivedWalObject } from './wal-archive';

/** The archive holds no commit after the target: the refusal, with the last commit that can be reached. */
export class UnreachableTargetError extends RestoreError {
  constructor(
    type: FailureType,
    message: string,
    /** The last archived commit on the chosen backup's unbroken WAL; null when there is none after the backup. */
    readonly lastCommit: UtcMicros | null,
  ) {
    super(type, message);
  }
}

/** Where segments are read (the planner's request), and who hears of each one read. */
export interface EndSearchRequest extends SegmentReadRequest {
  onProgress?(message: string, segmentsScanned: number): void;
}

export interface TargetEnd {
  /** Index in the chain of the last segment replay needs. */
  index: number;
  /** The record where replay decides it has reached the target. */
  stopLsn: string;
  facts: Pick<RestorePlan, 'firstCommitAfterTarget' | 'lastCommitBeforeTarget' | 'targetReached'>;
}

export interface ChainFacts {
  target: RecoveryTarget;
  /** The chosen backup. */
  info: PlannableBackupInfo;
  chain: ArchivedWalObject[];
  gapAfter: string | null;
  path: TimelinePath;
  /** The user named the backup (--backup-id): a refusal says what else to name. */
  backupNamed: boolean;
  /** Completed backups on the path that end before the chosen one, oldest first: what a refusal offers instead. */
  olderBackupIds: string[];
}

export async function findTargetEnd(deps: PlannerDeps, request: EndSearchRequest, facts: ChainFacts): Promise<TargetEnd> {
  const { target, info, chain, path } = facts;
  const indexOf = (name: string) => chain.findIndex((s) => s.name === name);
  const lastArchived = chain.at(-1)?.name ?? 'nothing';
  const along = path.switches.length > 0 ? ` along ${describePath(path)}` : '';
  switch (target.kind) {
    case 'time':
      return findTimeEnd(deps, request, facts, target.utc, along);
    case 'immediate':
      return { index: indexOf(info.endWal), stopLsn: info.endXlog, facts: { targetReached: `consistency at ${info.endXlog}` } };
    case 'lsn': {
      if (stopsBeforeConsistency(target.lsn, info)) {
        throw new RestoreError(FailureTypes.TargetUnreachable, `LSN ${target.lsn} is before the end of backup ${info.backupId} (${info.endXlog}), where the restored cluster first becomes consistent`);
      }
      // The chain's n-th segment sits at position begin + n, whatever timeline the path reads it from.
      const index = Math.floor(parseLsn(target.lsn) / info.segmentSize) - segmentIndex(info.beginWal, info.segmentSize);
      if (index >= chain.length) {
        const position = index + segmentIndex(info.beginWal, info.segmentSize);
        const segment = segmentFromIndex(spanForIndex(pathSpans(path, info.segmentSize), position)!.timeline, position, info.segmentSize);
        throw new RestoreError(
          FailureTypes.TargetUnreachable,
          `LSN ${target.lsn} is in segment ${segment}, which is not in the archived WAL of timeline ${path.timeline} after backup ${info.backupId}${along} (it holds up to ${lastArchived}); archive more WAL and retry`,
        );
      }
      return { index, stopLsn: target.lsn, facts: { targetReached: `LSN ${target.lsn}` } };
    }
    case 'xid':
    case 'name': {
      const found = await scanFor(deps, request, chain, info.pgVersion, (records) =>
        target.kind === 'xid' ? findTransactionEnd(records, target.xid) : findRestorePoint(records, target.name),
      );
      if (!found) {
        throw new RestoreError(
          FailureTypes.TargetUnreachable,
          `${describeTarget(target)} was not found in the archived WAL from backup ${info.backupId} on (${info.beginWal} to ${lastArchived}${along}); ` +
            (target.kind === 'xid' ? 'check the transaction id, and that it ended after this backup' : 'check the name, and that it was created after this backup'),
        );
      }
      if (stopsBeforeConsistency(found.record.lsn, info)) {
        throw new RestoreError(
          FailureTypes.TargetUnreachable,
          `${describeTarget(target)} ${target.kind === 'xid' ? 'ends' : 'is'} at ${found.record.lsn}, before backup ${info.backupId} becomes consistent at ${info.endXlog} (the end of its WAL from pg_backup_stop()): ` +
            `PostgreSQL cannot stop replay there from this backup ("requested recovery stop point is before consistent recovery point"); name an older backup with --backup-id${facts.olderBackupIds.length > 0 ? ` (${facts.olderBackupIds.join(', ')})` : ''}`,
        );
      }
      return { index: found.index, stopLsn: found.record.lsn, facts: { targetReached: `${describeTarget(target)} at ${found.record.lsn}` } };
    }
    default:
      return unknownKind(target);
  }
}

async function findTimeEnd(deps: PlannerDeps, request: EndSearchRequest, facts: ChainFacts, targetTime: UtcMicros, along: string): Promise<TargetEnd> {
  const { info, chain, gapAfter } = facts;
  const commitsRead = new Map<number, TimedCommit[]>();
  const readCommits = async (index: number): Promise<TimedCommit[]> => {
    let commits = commitsRead.get(index);
    if (!commits) {
      const records = await readSegmentRecords(deps, request, chain[index]!, info.pgVersion);
      request.onProgress?.(`read ${chain[index]!.name}`, index + 1);
      commits = records.filter((r) => r.kind === 'COMMIT');
      commitsRead.set(index, commits);
    }
    return commits;
  };
  const scan = await findFirstCommitAfter(chain.length, firstScanIndex(chain, targetTime, deps.scanSkewMarginMicros), targetTime, async (index) =>
    (await readCommits(index)).map((r) => r.time),
  );
  if (!scan.reachable) {
    const message = unreachableTimeMessage({
      target: targetTime,
      backupId: info.backupId,
      along,
      now: fromDate(new Date()),
      gapAfter,
      lastScanned: chain.at(-1)?.name ?? null,
      lastCommit: scan.lastCommit,
    });
    throw new UnreachableTargetError(gapAfter ? FailureTypes.WalGap : FailureTypes.TargetUnreachable, message, scan.lastCommit);
  }
  const stopLsn = commitsRead.get(scan.index)!.find((r) => r.time === scan.firstCommitAfterTarget)!.lsn;
  if (stopsBeforeConsistency(stopLsn, info)) {
    throw new BackupNotConsistentAtTargetError(
      info.backupId,
      { target: targetTime, endTime: info.endTime, endXlog: info.endXlog, stop: { time: scan.firstCommitAfterTarget, lsn: stopLsn }, lastCommitBeforeConsistency: await lastCommitBefore(info, chain, readCommits) },
      facts.backupNamed,
    );
  }
  return {
    index: scan.index,
    stopLsn,
    facts: { firstCommitAfterTarget: scan.firstCommitAfterTarget, lastCommitBeforeTarget: scan.lastCommitBeforeTarget ?? undefined },
  };
}

type TimedCommit = { time: UtcMicros; lsn: string };

/** Replay stops at `stopLsn` before the backup's end_xlog, where the restored cluster first becomes consistent. */
function stopsBeforeConsistency(stopLsn: string, info: PlannableBackupInfo): boolean {
  return parseLsn(stopLsn) < parseLsn(info.endXlog);
}

/** The latest commit before the backup's end_xlog, reading back from its end_wal to the first segment with one. */
async function lastCommitBefore(info: PlannableBackupInfo, chain: ArchivedWalObject[], readCommits: (index: number) => Promise<TimedCommit[]>): Promise<UtcMicros | null> {
  const end = parseLsn(info.endXlog);
  for (let index = chain.findIndex((s) => s.name === info.endWal); index >= 0; index--) {
    const times = (await readCommits(index)).filter((c) => parseLsn(c.lsn) < end).map((c) => c.time);
    if (times.length > 0) return times.reduce((a, b) => (a > b ? a : b));
  }
  return null;
}

async function scanFor(
  deps: PlannerDeps,
  request: EndSearchRequest,
  chain: ArchivedWalObject[],
  pgMajor: number,
  match: (records: WalRecord[]) => WalRecord | undefined,
): Promise<{ index: number; record: WalRecord } | null> {
  for (let index = 0; index < chain.length; index++) {
    const record = match(await readSegmentWalRecords(deps, request, chain[index]!, pgMajor));
    request.onProgress?.(`scanned ${chain[index]!.name}`, index + 1);
    if (record) return { index, record };
  }
  return null;
}

/** How many segments of an abandoned timeline are read, from its switch on, looking for its first later commit. */
const ABANDONED_SCAN_SEGMENTS = 4;

/**
 * What the path leaves behind between the backup's start and the stop (core/timeline-path.ts), each with the
 * first commit the abandoned side wrote after the switch. Its segments are read in a scratch folder of their
 * own, never where the restore's WAL is staged. A side whose archived WAL holds no commit after the switch
 * lost nothing committed and is not reported; when the segments read hold none but more follow, it is reported
 * without a time.
 */
export async function abandonedAlongPath(
  deps: PlannerDeps,
  request: EndSearchRequest,
  facts: { path: TimelinePath; histories: readonly TimelineHistoryOf[]; archive: readonly ArchivedWalObject[]; info: PlannableBackupInfo; stopLsn: string },
): Promise<AbandonedHistoryNote[]> {
  const { info } = facts;
  const size = info.segmentSize;
  const segmentsOf = new Map<string, ArchivedWalObject>();
  // The last archived position of each timeline, in one pass over the listing (an archive may hold 100,000s).
  const lastIndex = new Map<number, number>();
  for (const s of facts.archive) {
    if (!isSegmentName(s.name) || segmentsOf.has(s.name)) continue;
    segmentsOf.set(s.name, s);
    const timeline = parseSegmentName(s.name).timeline;
    lastIndex.set(timeline, Math.max(lastIndex.get(timeline) ?? -1, segmentIndex(s.name, size)));
  }
  const lastIndexOf = (timeline: number) => lastIndex.get(timeline) ?? -1;
  const wroteAfter = (timeline: number, switchLsn: string) => lastIndexOf(timeline) >= Math.floor(parseLsn(switchLsn) / size);
  const candidates = abandonedHistories(facts.path, facts.histories, info.beginXlog ?? info.beginWal, facts.stopLsn, wroteAfter);
  if (candidates.length === 0) return [];

  const scratchHome = join(request.layout.scratch, 'abandoned-timelines');
  const reading = { ...request, layout: { ...request.layout, barmanHome: scratchHome } };
  const notes: AbandonedHistoryNote[] = [];
  try {
    for (const a of candidates) {
      const from = Math.floor(parseLsn(a.switchLsn) / size);
      let firstCommitAfter: string | null = null;
      let read = 0;
      for (let index = from; index <= lastIndexOf(a.timeline) && read < ABANDONED_SCAN_SEGMENTS && firstCommitAfter === null; index++, read++) {
        const wal = segmentsOf.get(segmentFromIndex(a.timeline, index, size));
        if (!wal) break;
        const commits = (await readSegmentRecords(deps, reading, wal, info.pgVersion)).filter((r) => r.kind === 'COMMIT' && parseLsn(r.lsn) >= parseLsn(a.switchLsn));
        firstCommitAfter = commits[0]?.time ?? null;
      }
      const moreUnread = from + read <= lastIndexOf(a.timeline);
      if (firstCommitAfter === null && !moreUnread) continue;
      notes.push({ ...a, firstCommitAfter, note: describeAbandoned(a, firstCommitAfter) });
    }
  } finally {
    await rm(scratchHome, { recursive: true, force: true });
  }
  return notes;
}
