// The history a restore follows, as PostgreSQL reads it: the target timeline (--target-tli N | current | latest,
// PostgreSQL's default being latest), the path of timelines from a backup to it with the LSN of each switch,
// which backups can start that path, and what the path leaves behind. A timeline's history file
// (`0000000N.history`) lists every ancestor with the LSN where it ended (PostgreSQL's timeline.c,
// readTimeLineHistory); replay from a backup on timeline P can follow timeline N only when P is one of those
// ancestors (or N itself) and the backup is consistent before P ended ("requested timeline N is not a child of
// this server's history", xlogrecovery.c). Measured facts: docs/barman-pitr-facts.md §7.
import type { BackupInfo } from './backup-info';
import type { SkippedBackup } from './backup-selection';
import type { TimelineHistoryOf } from './timeline-branches';
import { segmentTimelineSpans, type TimelineSpan, type TimelineSwitch } from './timeline-history';
import { formatLsn, historyFileName, parseLsn, segmentIndex } from './wal-names';
import { FailureTypes, RestoreError, type RestorePlan } from '../shared';

/** What the user asked for: a timeline number, the backup's own (current), or the newest in the archive (latest). */
export type TimelineChoice = number | 'current' | 'latest';

/** The default, PostgreSQL's own since version 12 (recovery_target_timeline = 'latest'). */
export const DEFAULT_TIMELINE_CHOICE: TimelineChoice = 'latest';

/** A target timeline with its ancestry: `switches` as its history file lists them (empty for timeline 1). */
export type TimelinePath = TimelineHistoryOf;

/** The way to the target timeline is unknown, or the backup is not on it. */
export class TimelinePathError extends RestoreError {
  constructor(message: string) {
    super(FailureTypes.TargetUnreachable, message);
  }
}

export function describeTimelineChoice(choice: TimelineChoice): string {
  return typeof choice === 'number' ? `timeline ${choice}` : choice === 'latest' ? 'the latest timeline' : "the backup's own timeline (current)";
}

/**
 * The numbered target of `latest` or of a number, with its ancestry; null for `current`, which depends on the
 * backup chosen (resolve it with pathForBackupTimeline). `latest` is the highest timeline the archive holds a
 * history file of (timeline 1 when it holds none): PostgreSQL probes 0000000N.history upwards the same way
 * (findNewestTimeLine), and the restore then hands Barman that number, so a history file archived later never
 * changes the path under way. A number above 1 needs its history file: without it the path is unknown.
 */
export function resolveTimelinePath(choice: TimelineChoice, histories: readonly TimelineHistoryOf[]): TimelinePath | null {
  if (choice === 'current') return null;
  const newest = Math.max(1, ...histories.map((h) => h.timeline));
  const timeline = choice === 'latest' ? newest : choice;
  if (timeline === 1) return { timeline: 1, switches: [] };
  const history = histories.find((h) => h.timeline === timeline);
  if (!history) {
    const held = histories.map((h) => h.timeline);
    throw new TimelinePathError(
      `timeline ${timeline} has no history file (${historyFileName(timeline)}) in the archive, so the way to it is unknown; ` +
        `the archive holds history files of ${held.length ? `timelines ${held.join(', ')}` : 'no timeline'} (and timeline 1 needs none): ` +
        `choose one of those with --target-tli, or latest (${newest})`,
    );
  }
  return { timeline, switches: history.switches };
}

/** `current`: the backup's own timeline, with its ancestry from its own history file (none needed: replay never leaves it). */
export function pathForBackupTimeline(backupTimeline: number): TimelinePath {
  return { timeline: backupTimeline, switches: [] };
}

/** The timelines of the path, oldest first, e.g. [1, 2, 3]. */
export function pathTimelines(path: TimelinePath): number[] {
  return [...path.switches.map((s) => s.parentTimeline), path.timeline];
}

/** Where the path leaves `timeline`: the switch LSN, or null when the path ends on it (or it is not on the path). */
export function pathLeaves(path: TimelinePath, timeline: number): string | null {
  return path.switches.find((s) => s.parentTimeline === timeline)?.switchLsn ?? null;
}

/** Which timeline each segment position is read from on this path (the segment holding a switch: the new timeline's). */
export function pathSpans(path: TimelinePath, segmentSize: number): TimelineSpan[] {
  return segmentTimelineSpans(path.timeline, path.switches, segmentSize);
}

/** What the path rules need of a backup: its timeline and where its WAL begins and ends. */
export type PathBackup = Pick<BackupInfo, 'backupId' | 'timeline' | 'beginWal' | 'endWal' | 'beginXlog' | 'endXlog'>;

/**
 * Why a backup cannot start the path, or null when it can. Its timeline must be on the path; on an ancestor
 * it must begin before the path leaves that timeline (else PostgreSQL: "requested timeline N is not a child of
 * this server's history", the checkpoint must lie on the backup's timeline in N's history) and end there too:
 * it becomes consistent only at its XLOG_BACKUP_END record, in the ancestor's WAL, which the path no longer
 * reads after the switch ("WAL ends before end of online backup"). Without end_xlog the whole end_wal segment
 * is assumed, so a backup is never taken to end before a switch it may have passed. `subject` names the backup.
 */
export function offPathReason(backup: PathBackup, path: TimelinePath, segmentSize: number, subject = 'it'): string | null {
  if (backup.timeline === null) return `${subject} has no timeline in its backup.info`;
  const on = pathTimelines(path);
  if (!on.includes(backup.timeline)) {
    return `${subject} is on timeline ${backup.timeline}, which is not on the history of timeline ${path.timeline} (${describePath(path)})`;
  }
  const leaves = pathLeaves(path, backup.timeline);
  if (leaves === null) return null;
  const next = nextOnPath(path, backup.timeline);
  const start = backupStartLsn(backup, segmentSize);
  if (start !== null && start >= parseLsn(leaves)) {
    return `${subject} is on timeline ${backup.timeline} and begins at ${formatLsn(start)}, at or after timeline ${next} branched off it at ${leaves}: it cannot reach timeline ${path.timeline} (PostgreSQL: not a child of the backup's history)`;
  }
  const end = backupEndLsn(backup, segmentSize);
  if (end === null || end > parseLsn(leaves)) {
    return `${subject} is on timeline ${backup.timeline} and ends at ${end === null ? 'an unknown LSN' : formatLsn(end)}, after timeline ${next} branched off it at ${leaves}: replay on timeline ${path.timeline} never reaches its end`;
  }
  return null;
}

/** begin_xlog, else the start of begin_wal: where the backup's replay starts. */
function backupStartLsn(backup: PathBackup, segmentSize: number): number | null {
  if (backup.beginXlog) return parseLsn(backup.beginXlog);
  return backup.beginWal ? segmentIndex(backup.beginWal, segmentSize) * segmentSize : null;
}

/** end_xlog, else the end of end_wal (barman-cloud writes end_xlog for every completed backup). */
function backupEndLsn(backup: PathBackup, segmentSize: number): number | null {
  if (backup.endXlog) return parseLsn(backup.endXlog);
  return backup.endWal ? (segmentIndex(backup.endWal, segmentSize) + 1) * segmentSize : null;
}

/** Splits backups into those that can start the path and the others, each with the reason (for the plan's "not" lines). */
export function backupsOnPath<B extends PathBackup & { segmentSize: number }>(backups: readonly B[], path: TimelinePath): { onPath: B[]; offPath: SkippedBackup[] } {
  const onPath: B[] = [];
  const offPath: SkippedBackup[] = [];
  for (const b of backups) {
    const why = offPathReason(b, path, b.segmentSize);
    if (why) offPath.push({ backupId: b.backupId, why: `not on the way to timeline ${path.timeline}: ${why}` });
    else onPath.push(b);
  }
  return { onPath, offPath };
}

/** e.g. `timeline 1 until 0/40002F0, then timeline 2`. */
export function describePath(path: TimelinePath): string {
  if (path.switches.length === 0) return `timeline ${path.timeline} from its start`;
  return [...path.switches.map((s) => `timeline ${s.parentTimeline} until ${s.switchLsn}`), `then timeline ${path.timeline}`].join(', ');
}

function nextOnPath(path: TimelinePath, timeline: number): number {
  const on = pathTimelines(path);
  return on[on.indexOf(timeline) + 1] ?? path.timeline;
}

/**
 * A history that replay to the target does not include although the archive holds it: a timeline the path left
 * (`left`: its WAL after the switch is not replayed) or a child timeline that branched off the path and is not
 * followed (`not-followed`).
 */
export interface AbandonedHistory {
  kind: 'left' | 'not-followed';
  /** The timeline whose WAL after `switchLsn` is not restored. */
  timeline: number;
  /** The other side of the switch: the timeline followed instead (left), or the path's timeline it branched from (not-followed). */
  otherTimeline: number;
  switchLsn: string;
}

/**
 * What the path from `startLsn` (the backup's begin) to `stopLsn` (where replay reaches the target) leaves behind:
 * every switch on the path at or before the stop (the parent's later WAL is not replayed), and every other
 * timeline of the archive that branched off the path between start and stop (not followed). A switch after the
 * stop changes nothing: replay ends before the histories differ. Only timelines the archive shows writing after
 * the switch count (`wroteAfter`): a parent that stopped at the switch abandoned nothing.
 */
export function abandonedHistories(
  path: TimelinePath,
  histories: readonly TimelineHistoryOf[],
  startLsn: string,
  stopLsn: string,
  wroteAfter: (timeline: number, switchLsn: string) => boolean,
): AbandonedHistory[] {
  const start = parseLsn(startLsn);
  const stop = parseLsn(stopLsn);
  const found: AbandonedHistory[] = [];
  const on = pathTimelines(path);
  path.switches.forEach((s, i) => {
    const lsn = parseLsn(s.switchLsn);
    if (lsn >= start && lsn <= stop && wroteAfter(s.parentTimeline, s.switchLsn)) {
      found.push({ kind: 'left', timeline: s.parentTimeline, otherTimeline: on[i + 1]!, switchLsn: formatLsn(lsn) });
    }
  });
  for (const h of histories) {
    if (on.includes(h.timeline)) continue;
    const branch = branchOffPath(path, h.switches);
    if (!branch) continue;
    const lsn = parseLsn(branch.switchLsn);
    if (lsn < start || lsn > stop || !wroteAfter(h.timeline, branch.switchLsn)) continue;
    found.push({ kind: 'not-followed', timeline: h.timeline, otherTimeline: branch.parentTimeline, switchLsn: formatLsn(lsn) });
  }
  return found.sort((a, b) => parseLsn(a.switchLsn) - parseLsn(b.switchLsn) || a.timeline - b.timeline);
}

/**
 * Where a direct child of the path (a timeline whose parent is on it) left the path, when it did so while the path
 * was still on that timeline: its last switch, when all before it agree with the path's (or all do: a sibling
 * that branched at the same LSN). Null for a grandchild (it parted through a child, which is reported), and when
 * it left an ancestor after the path had already moved on (its WAL is then part of what the path left).
 */
function branchOffPath(path: TimelinePath, switches: readonly TimelineSwitch[]): TimelineSwitch | null {
  const on = pathTimelines(path);
  for (const s of switches) {
    if (!on.includes(s.parentTimeline)) return null;
    const leaves = pathLeaves(path, s.parentTimeline);
    if (leaves === s.switchLsn) continue;
    // Only a direct child of the path is reported: a grandchild parted through a child, which is reported.
    if (s !== switches.at(-1)) return null;
    return leaves === null || parseLsn(s.switchLsn) < parseLsn(leaves) ? s : null;
  }
  return switches.at(-1) ?? null;
}

/** One sentence per abandoned history for the plan and the result: what is not restored, and how to get it instead. */
export function describeAbandoned(a: AbandonedHistory, firstCommitAfter: string | null): string {
  const from = firstCommitAfter ? ` (its first commit after the switch is at ${firstCommitAfter})` : '';
  return a.kind === 'left'
    ? `timeline ${a.timeline} went on after timeline ${a.otherTimeline} branched off it at ${a.switchLsn}: what timeline ${a.timeline} wrote after ${a.switchLsn}${from} is not restored, ` +
        `this restore follows timeline ${a.otherTimeline}; to restore timeline ${a.timeline}'s history instead, pass --target-tli ${a.timeline}`
    : `timeline ${a.timeline} branched off timeline ${a.otherTimeline} at ${a.switchLsn} and is not followed: what it wrote${from} is not restored; ` +
        `to restore it instead, pass --target-tli ${a.timeline}`;
}

/** For the plan and the result, e.g. `2, followed from the backup's timeline 1 (switch at 0/40002F0)`. */
export function describeTimelinePath(plan: Pick<RestorePlan, 'timeline' | 'targetTimeline' | 'timelineSwitches'>): string {
  const switches = plan.timelineSwitches.filter((s) => s.parentTimeline >= plan.timeline);
  if (switches.length === 0) return `${plan.targetTimeline}, the backup's own`;
  return `${plan.targetTimeline}, followed from the backup's timeline ${plan.timeline} (${switches.map((s) => `${s.parentTimeline} ended at ${s.switchLsn}`).join(', ')})`;
}
