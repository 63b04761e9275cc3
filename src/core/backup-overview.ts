// What `pitr backups` shows, decided without I/O: one summary per backup (times, WAL, size and
// compression of its tar objects) and, per timeline, which archived segments matter along the path replay
// follows to it (through the switches its history file lists: src/core/timeline-reach.ts), where they
// have holes, and the recoverable window once the last archived commit is known.
import type { BackupInfo } from './backup-info';
import { unrestorableKind } from './backup-kind';
import type { StoredTar } from './extraction-limits';
import type { BaseBackupCompression } from './s3-layout';
import type { UtcMicros } from './timestamp';
import type { TimelineHistoryOf } from './timeline-branches';
import { archivedPathIndexes, backupsReaching, branchesOff, byEnd, pathSegmentName, segmentsAfterSwitch, timelinePath, type ReplayPath } from './timeline-reach';
import { holesAmong, type WalHole } from './wal-holes';
import { DEFAULT_SEGMENT_SIZE, isSegmentName, parseSegmentName, segmentFromIndex, segmentIndex, segmentsPerLog } from './wal-names';

export type TarCompression = BaseBackupCompression | 'mixed';

/** A backup as `pitr backups` lists it: what its backup.info says of it, and its tar objects. */
export interface BackupSummary extends Pick<BackupInfo, 'status' | 'beginTime' | 'endTime' | 'beginWal' | 'endWal' | 'timeline' | 'pgVersion' | 'error'> {
  id: string;
  /** Number of tar objects (data and tablespaces, all parts). */
  tarObjects: number;
  /** Their total size in the bucket, as stored (compressed). */
  tarBytes: number;
  /** From the object names; null when the backup has no tar object. */
  compression: TarCompression | null;
  /** Why pitr cannot restore this backup (incremental, snapshot, encrypted, ...), or null. */
  unrestorable: string | null;
}

export function summariseBackup(info: BackupInfo, objects: StoredTar[]): BackupSummary {
  return {
    id: info.backupId,
    status: info.status,
    beginTime: info.beginTime,
    endTime: info.endTime,
    beginWal: info.beginWal,
    endWal: info.endWal,
    timeline: info.timeline,
    pgVersion: info.pgVersion,
    tarObjects: objects.length,
    tarBytes: objects.reduce((sum, o) => sum + o.size, 0),
    compression: tarCompression(objects),
    error: info.error,
    unrestorable: describeUnrestorable(info),
  };
}

function describeUnrestorable(info: BackupInfo): string | null {
  const kind = unrestorableKind(info);
  return kind && `${kind.kind}: ${kind.explanation}`;
}

/** The one compression of a backup's tars, `mixed` when they differ, null when there are none. */
export function tarCompression(objects: StoredTar[]): TarCompression | null {
  const kinds = new Set(objects.map((o) => o.compression));
  if (kinds.size === 0) return null;
  return kinds.size === 1 ? [...kinds][0]! : 'mixed';
}

/** Summaries by end time, as byEnd orders backups. */
export function byEndTime(a: { id: string; endTime: UtcMicros | null }, b: { id: string; endTime: UtcMicros | null }): number {
  return byEnd({ backupId: a.id, endTime: a.endTime }, { backupId: b.id, endTime: b.endTime });
}

/** A completed backup a restore can start from: DONE, with an end time and a begin WAL, and a plain data directory. */
export function isUsableBackup(info: BackupInfo): boolean {
  return info.status === 'DONE' && info.endTime !== null && info.beginWal !== null && unrestorableKind(info) === null;
}

/**
 * An unbroken run of archived segments between holes, and the backup a restore into it would start from:
 * the oldest usable backup that reaches the timeline and whose WAL from begin_wal to end_wal lies inside
 * the run (replay cannot cross a hole).
 */
export interface WalRun {
  first: string;
  last: string;
  /** Oldest first; on a timeline's path, each named on the timeline replay reads it from. */
  segments: string[];
  backup: BackupInfo | null;
}

export interface TimelineScope {
  timeline: number;
  segmentSize: number;
  /** Major version for pg_waldump: from this timeline's newest backup, else a backup reaching it, else any backup. */
  pgVersion: number | null;
  /** The path replay follows to this timeline (its ancestors from its history file, and the span of each). */
  path: ReplayPath;
  /** The usable backup reaching this timeline (on it, or on an ancestor before the switch) that ends first. */
  oldestBackup: BackupInfo | null;
  /** Backups on an ancestor that began or ended after the switch away from it: why they do not count. */
  unreaching: { backupId: string; reason: string }[];
  /** Where holes are looked for: the earliest begin position of a reaching backup, else the timeline's first archived segment; named on the path. */
  from: string;
  /** Archived segments along the path from `from` on, oldest first. */
  segments: string[];
  /** The same, split at the holes. */
  runs: WalRun[];
  /** Every archived segment of the timeline itself (also those before `from`). */
  archivedSegments: number;
  firstArchived: string | null;
  lastArchived: string | null;
  holes: WalHole[];
  /** Each later timeline that branched off this one: where, and the segments of this one to read for its first commit after the switch. */
  branchesOff: { timeline: number; switchLsn: string; segmentsAfter: string[] }[];
}

/**
 * One scope per timeline that has archived segments, a usable backup or a history file, lowest timeline
 * first. `histories` (the archive's parsed history files) give each timeline its path: backups on an ancestor
 * that end before the switch away from it reach the timeline too, and its WAL is read along that path.
 * Segment names that are not segments or cannot exist at the timeline's segment size are ignored.
 */
export function timelineScopes(backups: BackupInfo[], segmentNames: string[], histories: readonly TimelineHistoryOf[] = []): TimelineScope[] {
  const segmentsByTimeline = new Map<number, string[]>();
  for (const name of new Set(segmentNames)) {
    if (!isSegmentName(name)) continue;
    const { timeline } = parseSegmentName(name);
    segmentsByTimeline.set(timeline, [...(segmentsByTimeline.get(timeline) ?? []), name]);
  }
  const archivedNames = new Set([...segmentsByTimeline.values()].flat());
  const timelines = new Set<number>(segmentsByTimeline.keys());
  const usableAll = backups.filter((b) => isUsableBackup(b) && b.timeline !== null);
  for (const b of usableAll) timelines.add(b.timeline!);
  for (const h of histories) timelines.add(h.timeline);
  const children = branchesOff(histories);

  const anyVersion = backups.find((b) => b.pgVersion !== null)?.pgVersion ?? null;
  const anySize = backups[0]?.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const scopes: TimelineScope[] = [];
  for (const timeline of [...timelines].sort((a, b) => a - b)) {
    const own = backups.filter((b) => b.timeline === timeline).sort(byEnd);
    const segmentSize = own[0]?.segmentSize ?? anySize;
    const perLog = segmentsPerLog(segmentSize);
    const indexOf = (name: string) => segmentIndex(name, segmentSize);
    const archived = (segmentsByTimeline.get(timeline) ?? [])
      .filter((name) => parseSegmentName(name).seg < perLog)
      .map((name) => ({ name, index: indexOf(name) }))
      .sort((a, b) => a.index - b.index);
    const path = timelinePath(
      timeline,
      histories.find((h) => h.timeline === timeline),
      segmentSize,
    );
    const reach = backupsReaching(
      path,
      usableAll.filter((b) => b.segmentSize === segmentSize),
      segmentSize,
    );
    const reachable = reach.reachable;
    const nameAt = (index: number) => pathSegmentName(path, index, segmentSize);
    const oldestBackup = reachable[0] ?? null;
    const beginIndexes = reachable.map((b) => indexOf(b.beginWal!));
    // Without a reaching backup: the timeline's own first segment, else where it began (a history file alone).
    const fromIndex = beginIndexes.length > 0 ? Math.min(...beginIndexes) : (archived[0]?.index ?? path.spans.at(-1)!.fromIndex);
    const from = nameAt(fromIndex);
    const present = archivedPathIndexes(path, archivedNames, fromIndex, segmentSize);

    const runIndexes: [number, number][] = [];
    for (const index of present) {
      const bounds = runIndexes.at(-1);
      if (bounds && bounds[1] === index - 1) bounds[1] = index;
      else runIndexes.push([index, index]);
    }
    const runs = runIndexes.map(([first, last]): WalRun => {
      // By position: a backup on an ancestor may begin in the segment replay reads from the new timeline.
      const inside = (wal: string | null) => wal !== null && isSegmentName(wal) && indexOf(wal) >= first && indexOf(wal) <= last;
      const segments = Array.from({ length: last - first + 1 }, (_, i) => nameAt(first + i));
      return { first: nameAt(first), last: nameAt(last), segments, backup: reachable.find((b) => inside(b.beginWal) && inside(b.endWal ?? b.beginWal)) ?? null };
    });

    scopes.push({
      timeline,
      segmentSize,
      pgVersion: [...own].reverse().find((b) => b.pgVersion !== null)?.pgVersion ?? [...reachable].reverse().find((b) => b.pgVersion !== null)?.pgVersion ?? anyVersion,
      path,
      oldestBackup,
      unreaching: reach.unreaching.map((u) => ({ backupId: u.backup.backupId, reason: u.reason })),
      from,
      segments: present.map(nameAt),
      runs,
      archivedSegments: archived.length,
      firstArchived: archived[0]?.name ?? null,
      lastArchived: archived.at(-1)?.name ?? null,
      holes: holesAmong(present, fromIndex, nameAt),
      branchesOff: children
        .filter((c) => c.parentTimeline === timeline)
        .map((c) => ({ timeline: c.timeline, switchLsn: c.switchLsn, segmentsAfter: segmentsAfterSwitch(path, c.switchLsn, archivedNames, segmentSize) })),
    });
  }
  return scopes;
}

export interface RecoverableWindow {
  /** The end of the backup the window starts from: the earliest target. */
  from: UtcMicros;
  fromBackup: string;
  /** That backup's timeline: this one, or an ancestor it left after the backup ended. */
  fromTimeline: number;
  /** The last archived commit of the run along the timeline's path: a target must be earlier (replay stops at the first commit after the target). */
  to: UtcMicros;
  /** The segment holding that commit. */
  toSegment: string | null;
}

export interface WindowVerdict {
  /** Oldest first; more than one only when holes split the WAL. */
  windows: RecoverableWindow[];
  /** Why there is no window, or what limits it. */
  notes: string[];
}

/** The last commit found in a run (reading back from its last segment), and the segment holding it. */
export interface RunCommit {
  commit: UtcMicros | null;
  segment: string | null;
}

/**
 * The recoverable windows of a timeline: one per unbroken run of WAL with a backup starting in it, from that
 * backup's end to the last commit of the run. `lastCommits` has one entry per run (same order); entries of
 * runs without a backup are only used for the notes.
 */
export function recoverableWindows(scope: TimelineScope, lastCommits: RunCommit[]): WindowVerdict {
  const windows: RecoverableWindow[] = [];
  const notes: string[] = [];
  for (const hole of scope.holes) {
    notes.push(`WAL ${hole.firstMissing}${hole.missingSegments > 1 ? `..${hole.lastMissing}` : ''} is missing${hole.after ? ` (after ${hole.after})` : ''}: replay cannot cross it`);
  }
  if (scope.path.unknownAncestry) notes.push(scope.path.unknownAncestry);
  const own = scope.path.spans.at(-1)!;
  const lastOnPath = scope.segments.at(-1);
  if (scope.path.ancestors.length > 0 && lastOnPath !== undefined && parseSegmentName(lastOnPath).timeline !== scope.timeline) {
    // The path ends before the timeline begins: a restore to it would stop on its parent (and PostgreSQL, given the
    // parent's copy of the switch segment, would replay the parent's abandoned WAL: docs/barman-pitr-facts.md §7).
    notes.push(
      `no WAL of timeline ${scope.timeline} is archived from ${segmentFromIndex(scope.timeline, own.fromIndex, scope.segmentSize)} on, where it branched off: ` +
        `nothing timeline ${scope.timeline} wrote can be restored, and its window ends on timeline ${parseSegmentName(lastOnPath).timeline}`,
    );
  }
  for (const u of scope.unreaching) notes.push(u.reason);
  if (scope.oldestBackup === null) {
    notes.push(
      scope.path.ancestors.length === 0
        ? `no completed backup on timeline ${scope.timeline}: nothing on it can be restored from this bucket alone`
        : `no completed backup on timeline ${scope.timeline}, nor one on ${scope.path.ancestors.map((a) => `timeline ${a.timeline} ending before ${a.switchLsn}`).join(' or ')}: ` +
            'nothing on it can be restored from this bucket alone',
    );
    return { windows, notes };
  }
  scope.runs.forEach((run, i) => {
    const last = lastCommits[i] ?? { commit: null, segment: null };
    if (run.backup === null) {
      notes.push(`no completed backup begins in the WAL ${run.first}..${run.last}: the times it covers cannot be restored`);
    } else if (last.commit === null || last.commit <= run.backup.endTime!) {
      notes.push(
        `no commit archived after the end of backup ${run.backup.backupId} (${run.backup.endTime}) in ${run.first}..${run.last}: no target time is reachable from it; archive more WAL (pg_switch_wal() on the source)`,
      );
    } else {
      windows.push({ from: run.backup.endTime!, fromBackup: run.backup.backupId, fromTimeline: run.backup.timeline!, to: last.commit, toSegment: last.segment });
    }
  });
  if (scope.runs.length === 0) {
    notes.push(`the WAL of backup ${scope.oldestBackup.backupId} from ${scope.oldestBackup.beginWal} on is not archived: no target time is reachable`);
  }
  return { windows, notes };
}
