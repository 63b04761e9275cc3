// How far PostgreSQL's replay is from where it will stop: WAL and commit time still to go, the rate of
// replay over the last polls, and an ETA, in numbers and in one sentence. A function of where replay runs
// (ReplayEnd) and what the server answered at each poll (ReplaySample), so that any step that lets
// PostgreSQL replay (verify, and later an advance of a held restore) reports it the same way.
import type { RestorePlan } from '../shared';
import { formatBytes, formatDuration } from './report-format';
import { toBarmanTime, toEpochMicros, type UtcMicros } from './timestamp';
import { formatLsn, parseLsn, segmentIndex } from './wal-names';

/** Where a replay runs: from `startLsn` to `stopLsn`, the record where PostgreSQL decides it reached the target. */
export interface ReplayEnd {
  startLsn: string;
  stopLsn: string;
  /**
   * Time targets: the commit time replay ends at, the last commit it applies (or, when the plan did not see
   * that one, the first commit it will not apply). Absent for other targets: they have no commit time to count down.
   */
  endCommit?: UtcMicros;
}

/** One poll of the replaying server: pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp(), and when. */
export interface ReplaySample {
  atMs: number;
  replayLsn: string;
  lastReplayedCommit: UtcMicros | null;
}

export interface ReplayProgress extends Pick<ReplaySample, 'replayLsn' | 'lastReplayedCommit'> {
  /** WAL replayed since the start, at most bytesTotal (an xid or LSN target ends past its stop record's start). */
  bytesDone: number;
  bytesTotal: number;
  bytesToGo: number;
  /** Commit time still to replay (microseconds); null without a time target or before the first replayed commit. */
  commitTimeToGoMicros: number | null;
  /** WAL bytes replayed a second over the window; null with fewer than two samples a moment apart. */
  bytesPerSecond: number | null;
  /** bytesToGo at that rate; null while the rate is unknown or zero. */
  etaSeconds: number | null;
  /** Replay is at or past the stop record. */
  reached: boolean;
}

/** How long a rate is averaged over: long enough to smooth a slow restore_command, short enough to follow a change. */
export const REPLAY_RATE_WINDOW_MS = 30_000;

/**
 * The end of a restore's replay as its plan has it: from the start of the backup's first WAL segment (its
 * checkpoint's redo point lies in it) to the plan's stop record, and for a time target the commit time it ends at.
 */
export function replayEndOfPlan(
  plan: Pick<RestorePlan, 'beginWal' | 'segmentSize' | 'firstCommitAfterTarget' | 'lastCommitBeforeTarget' | 'stopLsn'>,
): ReplayEnd {
  const endCommit = plan.lastCommitBeforeTarget ?? plan.firstCommitAfterTarget;
  return {
    startLsn: formatLsn(segmentIndex(plan.beginWal, plan.segmentSize) * plan.segmentSize),
    stopLsn: plan.stopLsn,
    ...(endCommit ? { endCommit } : {}),
  };
}

/**
 * `samples` with `sample` added and those older than the window dropped; the one just before the window
 * stays, so that the rate always spans at least the window when polls are sparse. A sample whose LSN went
 * back (another start of the server) starts the window afresh.
 */
export function withSample(samples: readonly ReplaySample[], sample: ReplaySample, windowMs = REPLAY_RATE_WINDOW_MS): ReplaySample[] {
  const last = samples[samples.length - 1];
  if (last && (parseLsn(sample.replayLsn) < parseLsn(last.replayLsn) || sample.atMs < last.atMs)) return [sample];
  const all = [...samples, sample];
  const firstInWindow = all.findIndex((s) => sample.atMs - s.atMs <= windowMs);
  return all.slice(Math.max(0, firstInWindow - 1));
}

/** Where the last sample stands against `end`, with the rate over all samples; null without a sample. */
export function replayProgress(end: ReplayEnd, samples: readonly ReplaySample[]): ReplayProgress | null {
  const last = samples[samples.length - 1];
  if (!last) return null;
  const start = parseLsn(end.startLsn);
  const stop = parseLsn(end.stopLsn);
  const replayed = parseLsn(last.replayLsn);
  const bytesTotal = Math.max(0, stop - start);
  const bytesDone = Math.min(bytesTotal, Math.max(0, replayed - start));
  const bytesToGo = bytesTotal - bytesDone;
  const first = samples[0]!;
  const seconds = (last.atMs - first.atMs) / 1000;
  const bytesPerSecond = seconds > 0 ? Math.max(0, replayed - parseLsn(first.replayLsn)) / seconds : null;
  const commitTimeToGoMicros =
    end.endCommit && last.lastReplayedCommit ? Math.max(0, toEpochMicros(end.endCommit) - toEpochMicros(last.lastReplayedCommit)) : null;
  return {
    replayLsn: last.replayLsn,
    lastReplayedCommit: last.lastReplayedCommit,
    bytesDone,
    bytesTotal,
    bytesToGo,
    commitTimeToGoMicros,
    bytesPerSecond,
    etaSeconds: bytesPerSecond ? bytesToGo / bytesPerSecond : null,
    reached: replayed >= stop,
  };
}

/**
 * One sentence for the UI and `pitr status`, e.g. `replayed to 0/5000A28 (last commit 2026-12-01
 * 06:34:10.000000+00:00), 1.2 MiB and 3s of commits to go to 0/5000410, 3.1 MiB/s, about 1s left`.
 */
export function describeReplayProgress(progress: ReplayProgress, end: ReplayEnd): string {
  const at = describePosition(progress);
  if (progress.reached) return `${at}, at the stop record ${end.stopLsn}`;
  const timeToGo = progress.commitTimeToGoMicros !== null ? ` and ${formatDuration(progress.commitTimeToGoMicros / 1e6)} of commits` : '';
  const parts = [at, `${formatBytes(progress.bytesToGo)}${timeToGo} to go to ${end.stopLsn}`];
  // Zero while PostgreSQL waits for the next segment from restore_command: say so rather than an infinite ETA.
  if (progress.bytesPerSecond === 0) parts.push('not advancing');
  else if (progress.bytesPerSecond !== null) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`, `about ${formatDuration(progress.etaSeconds!)} left`);
  return parts.join(', ');
}

/**
 * A replay's part of a step's heartbeat details: WAL replayed of the way from start to stop, and the sentence.
 * Null before the first sample.
 */
export function replayProgressDetails(end: ReplayEnd, samples: readonly ReplaySample[]): { bytesDone: number; bytesTotal: number; current: string } | null {
  const progress = replayProgress(end, samples);
  if (!progress) return null;
  return { bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, current: describeReplayProgress(progress, end) };
}

function describePosition(at: Pick<ReplaySample, 'replayLsn' | 'lastReplayedCommit'>): string {
  return `replayed to ${at.replayLsn}${at.lastReplayedCommit ? ` (last commit ${toBarmanTime(at.lastReplayedCommit)})` : ''}`;
}
