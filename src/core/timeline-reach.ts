// What a timeline can be restored from, and where it abandoned its parent, for `pitr backups` (issue 11,
// item 3). No I/O: the history files come parsed (src/io/timeline-histories.ts), the commits read later.
//
// PostgreSQL's rules, as measured in docs/barman-pitr-facts.md §7 and as its recovery code
// states them (src/backend/access/transam/xlogrecovery.c, PostgreSQL 15):
// - A backup on an ancestor timeline A reaches timeline T when its start lies before the LSN where A ended on
//   the way to T; otherwise recovery stops with "requested timeline T is not a child of this server's
//   history" (the checkpoint must lie on the backup's timeline in T's history, tliOfPointInHistory).
// - A backup taken on the primary becomes consistent only at its XLOG_BACKUP_END record, which is in A's
//   WAL: when the backup ended after the switch, T's WAL never holds it ("WAL ends before end of online
//   backup"), and T's data would in any case not match what the backup copied after the switch.
// - Replay reads each segment position from the timeline the history assigns it (the segment holding a
//   switch point from the new timeline: segmentTimelineSpans) and cannot cross a missing segment.
// - Without an explicit recovery_target_timeline, PostgreSQL follows the newest timeline (`latest`), so the
//   commits a parent wrote after a child branched off are restored only when the parent is named.
import { offPathReason, pathTimelines, type PathBackup, type TimelinePath } from './timeline-path';
import type { TimelineHistoryOf } from './timeline-branches';
import { segmentTimelineSpans, spanForIndex, type TimelineSpan, type TimelineSwitch } from './timeline-history';
import { toBarmanTime, type UtcMicros } from './timestamp';
import { historyFileName, parseLsn, segmentFromIndex, segmentIndex } from './wal-names';

/** What this module needs of a backup: what the path rules need (core/timeline-path.ts), and when it ended. */
export interface ReachBackup extends PathBackup {
  endTime: UtcMicros | null;
}

/** Where timeline `timeline` began: its parent ended at `switchLsn`. */
export interface TimelineStart {
  timeline: number;
  switchLsn: string;
}

export interface ReplayPath {
  timeline: number;
  /** The timelines before it, oldest first, each with the LSN where it ended on the way here; empty for timeline 1. */
  ancestors: TimelineStart[];
  /** Which timeline each segment position is read from (the last span is the timeline itself, open-ended). */
  spans: TimelineSpan[];
  /** Why the ancestry is unknown (no or unusable history file for a timeline above 1), or null. */
  unknownAncestry: string | null;
}

/**
 * The path replay follows to reach `timeline`: from its history file's switches. A timeline above 1 without
 * a usable history file is treated as having no ancestors (PostgreSQL cannot follow a switch into it either:
 * it needs the file), with the reason kept for a note.
 */
export function timelinePath(timeline: number, history: TimelineHistoryOf | undefined, segmentSize: number): ReplayPath {
  const own = (unknownAncestry: string | null): ReplayPath => ({
    timeline,
    ancestors: [],
    spans: [{ timeline, fromIndex: 0, toIndex: null }],
    unknownAncestry,
  });
  if (!history) return own(timeline === 1 ? null : `the archive holds no usable ${historyFileName(timeline)}, so no backup on an earlier timeline can reach timeline ${timeline}`);
  try {
    const spans = segmentTimelineSpans(timeline, history.switches, segmentSize);
    return { timeline, ancestors: history.switches.map((s) => ({ timeline: s.parentTimeline, switchLsn: s.switchLsn })), spans, unknownAncestry: null };
  } catch (err) {
    return own(`${historyFileName(timeline)} cannot be used (${(err as Error).message}), so no backup on an earlier timeline can reach timeline ${timeline}`);
  }
}

/** The segment name replay reads at position `index` on this path. */
export function pathSegmentName(path: ReplayPath, index: number, segmentSize: number): string {
  const span = spanForIndex(path.spans, index);
  // The spans start at 0 and the last one has no end, so every position has one.
  return segmentFromIndex(span!.timeline, index, segmentSize);
}

export interface UnreachingBackup<B extends ReachBackup = ReachBackup> {
  backup: B;
  /** Why it cannot reach the timeline, for the overview's notes. */
  reason: string;
}

export interface BackupReach<B extends ReachBackup = ReachBackup> {
  /** Backups on the timeline itself and on its ancestors before they ended, earliest end first. */
  reachable: B[];
  /** Backups on an ancestor that began or ended after the switch away from it. */
  unreaching: UnreachingBackup<B>[];
}

/**
 * Which of `backups` (already usable ones: DONE, with an end time and a begin WAL) can restore into
 * `path.timeline`. Backups on other branches or later timelines are neither reachable nor named.
 */
export function backupsReaching<B extends ReachBackup>(path: ReplayPath, backups: readonly B[], segmentSize: number): BackupReach<B> {
  const reachable: B[] = [];
  const unreaching: UnreachingBackup<B>[] = [];
  // The planner's rule (core/timeline-path.ts), on this path's ancestry.
  const asPath: TimelinePath = { timeline: path.timeline, switches: path.ancestors.map((a) => ({ parentTimeline: a.timeline, switchLsn: a.switchLsn, reason: '' })) };
  for (const backup of backups) {
    if (backup.timeline === null || !pathTimelines(asPath).includes(backup.timeline)) continue;
    const reason = offPathReason(backup, asPath, segmentSize, `backup ${backup.backupId}`);
    if (reason === null) reachable.push(backup);
    else unreaching.push({ backup, reason });
  }
  return { reachable: reachable.sort(byEnd), unreaching };
}

/** Backups by end time, oldest first; those without an end time last; id breaks ties. */
export function byEnd(a: Pick<ReachBackup, 'backupId' | 'endTime'>, b: Pick<ReachBackup, 'backupId' | 'endTime'>): number {
  if (a.endTime !== b.endTime) return a.endTime === null ? 1 : b.endTime === null ? -1 : a.endTime < b.endTime ? -1 : 1;
  return a.backupId < b.backupId ? -1 : a.backupId > b.backupId ? 1 : 0;
}

/**
 * The positions of `path` from `fromIndex` on whose segment (on the timeline the path reads it from) is archived.
 * `archived` holds segment names; the search ends after the last archived segment of any timeline on the path.
 */
export function archivedPathIndexes(path: ReplayPath, archived: ReadonlySet<string>, fromIndex: number, segmentSize: number): number[] {
  const indexes: number[] = [];
  for (const name of archived) {
    const timeline = parseInt(name.slice(0, 8), 16);
    const span = path.spans.find((s) => s.timeline === timeline);
    if (!span) continue;
    let index: number;
    try {
      index = segmentIndex(name, segmentSize);
    } catch {
      continue; // A name that cannot exist at this segment size (ignored, as timelineScopes does).
    }
    if (index >= fromIndex && index >= span.fromIndex && (span.toIndex === null || index <= span.toIndex)) indexes.push(index);
  }
  return indexes.sort((a, b) => a - b);
}

/** Timeline `timeline` branched off `parentTimeline` at `switchLsn`: the last line of its history file. */
export interface BranchOff {
  parentTimeline: number;
  timeline: number;
  switchLsn: string;
}

/** The direct children of each timeline: every history file's last line names its timeline's parent. Timeline order. */
export function branchesOff(histories: readonly TimelineHistoryOf[]): BranchOff[] {
  const branches: BranchOff[] = [];
  for (const { timeline, switches } of histories) {
    const parent: TimelineSwitch | undefined = switches.at(-1);
    if (parent && parent.parentTimeline < timeline) branches.push({ parentTimeline: parent.parentTimeline, timeline, switchLsn: parent.switchLsn });
  }
  return branches.sort((a, b) => a.timeline - b.timeline);
}

/**
 * The parent's segments to read for its first commit after the switch: from the one holding the switch point
 * (the parent's own copy) on, while archived without a hole. Oldest first.
 */
export function segmentsAfterSwitch(parentPath: ReplayPath, switchLsn: string, archived: ReadonlySet<string>, segmentSize: number): string[] {
  const names: string[] = [];
  for (let index = Math.floor(parseLsn(switchLsn) / segmentSize); ; index++) {
    const name = pathSegmentName(parentPath, index, segmentSize);
    if (!archived.has(name)) return names;
    names.push(name);
  }
}

/** The first commit the parent wrote at or after the switch LSN (the record at the switch LSN already differs). */
export interface CommitAt {
  time: UtcMicros;
  lsn: string;
  segment: string;
}

export interface Abandonment extends BranchOff {
  /** null: the parent's archived WAL after the switch holds no commit, or was not read (see `unread`). */
  firstCommitAfter: CommitAt | null;
  /** Why the parent's WAL after the switch was not read, or null when it was. */
  unread: string | null;
  /** The timeline PostgreSQL follows by default: the newest one with a history file in the archive. */
  newestTimeline: number;
  /** Whether the newest timeline is the child or descends from it (then a later target follows the child's line). */
  newestDescends: boolean;
}

/** Whether `newest` is `child` or lists it as an ancestor in its history. */
export function descendsFrom(newest: number, child: number, histories: readonly TimelineHistoryOf[]): boolean {
  if (newest === child) return true;
  return histories.find((h) => h.timeline === newest)?.switches.some((s) => s.parentTimeline === child) ?? false;
}

/** The line `pitr backups` prints under the parent timeline. */
export function abandonmentMessage(a: Abandonment): string {
  const head = `abandoned at ${a.switchLsn} by timeline ${a.timeline}: `;
  const follows = a.newestDescends
    ? `a restore to a later time follows timeline ${a.newestTimeline} by default (recovery_target_timeline = latest)`
    : `by default (recovery_target_timeline = latest) a restore tries the newest timeline, ${a.newestTimeline}, which does not descend from timeline ${a.timeline}`;
  const restoreThem = `pass --target-tli ${a.parentTimeline} to restore them`;
  if (a.unread !== null) {
    return `${head}what timeline ${a.parentTimeline} wrote from that LSN on is not in timeline ${a.timeline}'s history (not read: ${a.unread}); ${follows}: ${restoreThem}`;
  }
  if (a.firstCommitAfter === null) {
    return `${head}timeline ${a.parentTimeline} has no archived commit after the switch, so following timeline ${a.timeline} leaves out none of its archived commits`;
  }
  const c = a.firstCommitAfter;
  return (
    `${head}commits timeline ${a.parentTimeline} wrote from ${toBarmanTime(c.time)} on (the first after the switch, at ${c.lsn} in ${c.segment}) ` +
    `are not in timeline ${a.timeline}'s history; ${follows}: ${restoreThem}`
  );
}
