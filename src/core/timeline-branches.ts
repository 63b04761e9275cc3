// Which later timelines branched off a backup's timeline, and whether one did before replay reaches the
// target: then PostgreSQL's own default (recovery_target_timeline = latest) would follow it, while a
// restore pinned to the backup's timeline brings back what the switch abandoned. Until the plan follows
// switches (issue 11), such a restore without an explicit timeline is refused instead of guessed.
import { formatLsn, parseLsn } from './wal-names';
import type { TimelineSwitch } from './timeline-history';

/** Timeline `timeline` (or an ancestor of it) left the backup's timeline at `switchLsn`. */
export interface TimelineBranch {
  timeline: number;
  switchLsn: string;
}

/** A timeline's history file, parsed: its ancestors, each with the LSN where it ended. */
export interface TimelineHistoryOf {
  timeline: number;
  switches: TimelineSwitch[];
}

/**
 * The timelines that descend from the backup: later than `backupTimeline`, and whose history lists
 * `backupTimeline` as an ancestor that ended at or after `backupStartLsn` (where the backup's replay
 * starts). A timeline that left it before the backup started, or branched off elsewhere, is not one:
 * PostgreSQL refuses to follow it from this backup ("not a child of this server's history"), so it
 * cannot change silently what the backup restores. Sorted by timeline.
 */
export function timelinesBranchedFrom(backupTimeline: number, backupStartLsn: string, histories: readonly TimelineHistoryOf[]): TimelineBranch[] {
  const start = parseLsn(backupStartLsn);
  const branches: TimelineBranch[] = [];
  for (const { timeline, switches } of histories) {
    if (timeline <= backupTimeline) continue;
    const leaves = switches.find((s) => s.parentTimeline === backupTimeline);
    if (!leaves) continue;
    const lsn = parseLsn(leaves.switchLsn);
    if (lsn < start) continue;
    branches.push({ timeline, switchLsn: formatLsn(lsn) });
  }
  return branches.sort((a, b) => a.timeline - b.timeline);
}

/**
 * The branches replay would meet before it stops: those whose switch LSN is at or before `stopLsn`, the
 * WAL record at which replay decides it has reached the target (for a time target, the first commit after
 * it). At the switch LSN itself the two timelines already hold different records, so equality counts.
 */
export function branchesBeforeStop(branches: readonly TimelineBranch[], stopLsn: string): TimelineBranch[] {
  const stop = parseLsn(stopLsn);
  return branches.filter((b) => parseLsn(b.switchLsn) <= stop);
}

export interface AmbiguousTimelineFacts {
  /** What the user asked for, e.g. `target 2026-11-24T06:32:06.397252Z`. */
  target: string;
  backupId: string;
  backupTimeline: number;
  /** Where replay reaches the target on the backup's timeline, e.g. `the first commit after it, at 0/5000120`. */
  stop: string;
  /** Non-empty: the branches before the stop. */
  branches: readonly TimelineBranch[];
  /** The highest timeline whose history file the archive holds: what `latest` picks. */
  newestTimeline: number;
}

/** The refusal: which timelines, where they switched, what PostgreSQL would do, and what to pass instead. */
export function ambiguousTimelineMessage(facts: AmbiguousTimelineFacts): string {
  const { backupTimeline: tli } = facts;
  const listed = facts.branches.map((b) => `timeline ${b.timeline} (switched at ${b.switchLsn})`).join(', ');
  const earliest = facts.branches.reduce((a, b) => (parseLsn(b.switchLsn) < parseLsn(a.switchLsn) ? b : a));
  return (
    `${facts.target} is ambiguous: backup ${facts.backupId} is on timeline ${tli}, but the archive's timeline history shows ` +
    `${listed} branched off timeline ${tli} before replay reaches the target (${facts.stop} on timeline ${tli}). ` +
    `PostgreSQL's own default (recovery_target_timeline = latest) would follow the newest timeline, ${facts.newestTimeline}, ` +
    `where what timeline ${tli} wrote after ${earliest.switchLsn} is not part of the history; following a timeline switch is not supported yet, ` +
    `so nothing was restored. To restore timeline ${tli} as it was, with what it wrote after the switch, pass --target-tli ${tli}`
  );
}
