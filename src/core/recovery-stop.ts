// Where replay stopped, proven against the plan. PostgreSQL says where it stopped in one LOG line of the
// startup process, written when it decides it reached the recovery target (xlogrecovery.c, recoveryStopsBefore
// and recoveryStopsAfter; the same texts in PostgreSQL 15 and 17):
//   recovery stopping before commit of transaction 752, time 2026-12-01 04:32:19.123456+00   (time targets)
//   recovery stopping before abort of transaction 752, time ...                               (time targets)
//   recovery stopping after commit of transaction 740, time ...                               (xid targets)
//   recovery stopping after abort of transaction 740, time ...                                (xid targets)
//   recovery stopping at restore point "before-upgrade", time ...                             (name targets)
//   recovery stopping after WAL location (LSN) "0/5000000"                                    (lsn targets)
//   recovery stopping before WAL location (LSN) "0/5000000"                                   (lsn, exclusive)
//   recovery stopping after reaching consistency                                              (immediate)
// The time is timestamptz_to_str's: ISO, in the server's `timezone`, microseconds with trailing zeros dropped.
// Replay that halts anywhere else writes no such line: a pause because a setting is lower than on the source
// (xlogrecovery.c RecoveryRequiresIntParameter: WARNING "hot standby is not possible because of insufficient
// parameter settings", then LOG "recovery has paused"), the end of the WAL before the target (FATAL "recovery
// ended before configured recovery target was reached", PerformWalRecovery), or a pause someone asked for.
// This module reads a verify run's log into those facts and compares them, with the replay position
// (pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()), to the plan. Pure: no I/O.
import { FailureTypes, RestoreError, type RestorePlan, type TargetAction } from '../shared';
import { describeTarget, unknownKind, type RecoveryTarget } from './recovery-target';
import { parseOffsetTimestamp, type UtcMicros } from './timestamp';
import { excerpt } from './untrusted-text';
import { formatLsn, parseLsn, parseSegmentName } from './wal-names';

/** Where PostgreSQL says replay stopped (the "recovery stopping ..." line). */
export type StopPoint =
  | { kind: 'transaction'; side: 'before' | 'after'; end: 'commit' | 'abort'; xid: string; time: UtcMicros | null }
  | { kind: 'restore-point'; name: string; time: UtcMicros | null }
  | { kind: 'lsn'; side: 'before' | 'after'; lsn: string }
  | { kind: 'consistency' };

/** Characters of a log line a message quotes (log lines are the restored server's: untrusted text). */
export const LOG_EXCERPT_CHARS = 200;

// The message after the severity; log_error_verbosity = verbose puts the SQLSTATE in between ("LOG:  00000: ").
const SEVERITY = /\b(LOG|WARNING|FATAL|PANIC|ERROR|DETAIL|HINT|CONTEXT):\s+(?:[0-9A-Z]{5}:\s+)?(.*)$/;
// timestamptz_to_str's text; an offset with seconds (of local mean time) is matched but read as no time (null).
const TIMESTAMP = String.raw`(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[+-]\d{2}(?::?\d{2}){0,2})?)`;
const STOP_TRANSACTION = new RegExp(String.raw`^recovery stopping (before|after) (commit|abort) of transaction (\d+), time ${TIMESTAMP}$`);
// A restore point name may itself hold `", time `: the name is everything up to the last one.
const STOP_RESTORE_POINT = new RegExp(String.raw`^recovery stopping at restore point "(.*)", time ${TIMESTAMP}$`);
const STOP_LSN = /^recovery stopping (before|after) WAL location \(LSN\) "([0-9A-F]{1,8}\/[0-9A-F]{1,8})"$/;
const STOP_CONSISTENCY = /^recovery stopping after reaching consistency$/;
// xlogarchive.c RestoreArchivedFile: each WAL file restore_command delivered.
const RESTORED = /^restored log file "([0-9A-F]{24})" from archive$/;

/** A log line's severity and message, without the log_line_prefix; null for lines PostgreSQL's ereport did not write. */
export function logMessage(line: string): { severity: string; message: string } | null {
  const m = SEVERITY.exec(line);
  return m ? { severity: m[1]!, message: m[2]!.trimEnd() } : null;
}

/** The stop point a "recovery stopping ..." message names, or null when the message is not one. */
export function parseStopMessage(message: string): StopPoint | null {
  let m = STOP_TRANSACTION.exec(message);
  if (m) {
    return { kind: 'transaction', side: m[1] as 'before' | 'after', end: m[2] as 'commit' | 'abort', xid: m[3]!, time: parseOffsetTimestamp(m[4]!) };
  }
  m = STOP_RESTORE_POINT.exec(message);
  if (m) return { kind: 'restore-point', name: m[1]!, time: parseOffsetTimestamp(m[2]!) };
  m = STOP_LSN.exec(message);
  if (m) return { kind: 'lsn', side: m[1] as 'before' | 'after', lsn: formatLsn(parseLsn(m[2]!)) };
  if (STOP_CONSISTENCY.test(message)) return { kind: 'consistency' };
  return null;
}

/** What one start of PostgreSQL wrote to its log about recovery. */
export interface RecoveryLogFacts {
  /** The last "recovery stopping ..." line, and what it says. */
  stop: { point: StopPoint; line: string } | null;
  /** Whether this start recovered at all (archive recovery began): a promoted cluster started again does not. */
  recoveryStarted: boolean;
  /** FATAL "recovery ended before configured recovery target was reached". */
  endedBeforeTarget: string | null;
  /** "... because of insufficient parameter settings" lines, each with its DETAIL (which setting, which values). */
  insufficientSettings: string[];
  /** The record replay halted at for them (their CONTEXT: "WAL redo at 0/50000A0 for XLOG/PARAMETER_CHANGE: ..."). */
  insufficientSettingsAt: { lsn: string; record: string } | null;
  /** "recovery has paused" without a stop line: a pause for another reason than the target. */
  pausedLine: string | null;
  /** "selected new timeline ID: N" (promotion). */
  newTimeline: number | null;
  /** "shutdown at recovery target" (recovery_target_action = shutdown). */
  shutdownAtTarget: boolean;
  /** Per segment position (the name's last 16 hex digits), the timeline of the file last restored there. */
  restoredTimelines: Map<string, number>;
  /** FATAL and PANIC messages, for a message about a server that died. */
  fatal: string[];
}

/** Reads the log text of one start of PostgreSQL (only what that start wrote; see verify's log offset). */
export function readRecoveryLog(text: string): RecoveryLogFacts {
  const facts: RecoveryLogFacts = {
    stop: null,
    recoveryStarted: false,
    endedBeforeTarget: null,
    insufficientSettings: [],
    insufficientSettingsAt: null,
    pausedLine: null,
    newTimeline: null,
    shutdownAtTarget: false,
    restoredTimelines: new Map(),
    fatal: [],
  };
  let previous: { severity: string; message: string } | null = null;
  for (const line of text.split('\n')) {
    const entry = logMessage(line);
    if (!entry) continue;
    const { severity, message } = entry;
    if (severity === 'DETAIL' && previous && /insufficient parameter settings/.test(previous.message)) {
      // Which setting, and the source's value: the part of the warning a person needs.
      facts.insufficientSettings[facts.insufficientSettings.length - 1] += ` DETAIL: ${message}`;
    }
    if (severity === 'CONTEXT' && previous && /insufficient parameter settings/.test(previous.message)) {
      const redo = /^WAL redo at ([0-9A-F]{1,8}\/[0-9A-F]{1,8}) for ([A-Za-z0-9_/+-]+)/.exec(message);
      if (redo) facts.insufficientSettingsAt = { lsn: redo[1]!, record: redo[2]! };
    }
    if (severity !== 'DETAIL' && severity !== 'HINT' && severity !== 'CONTEXT') previous = entry;
    if (severity === 'LOG') {
      const point = parseStopMessage(message);
      if (point) {
        facts.stop = { point, line: `${severity}: ${message}` };
        continue;
      }
      const restored = RESTORED.exec(message);
      if (restored) {
        const name = restored[1]!;
        facts.restoredTimelines.set(name.slice(8), parseInt(name.slice(0, 8), 16));
        continue;
      }
      // xlogrecovery.c InitWalRecovery: "starting point-in-time recovery to ...", "starting archive recovery".
      if (/^starting (point-in-time|archive) recovery\b/.test(message)) facts.recoveryStarted = true;
      else if (message === 'recovery has paused') facts.pausedLine = `${severity}: ${message}`;
      else if (message === 'shutdown at recovery target') facts.shutdownAtTarget = true;
      else {
        const timeline = /^selected new timeline ID: (\d+)$/.exec(message);
        if (timeline) facts.newTimeline = Number(timeline[1]);
      }
    } else if (/insufficient parameter settings/.test(message) && (severity === 'WARNING' || severity === 'FATAL')) {
      facts.insufficientSettings.push(`${severity}: ${message}`);
    }
    if (severity === 'FATAL' || severity === 'PANIC') {
      facts.fatal.push(`${severity}: ${message}`);
      if (message === 'recovery ended before configured recovery target was reached') facts.endedBeforeTarget = `${severity}: ${message}`;
    }
  }
  return facts;
}

/** How the server verify started ended up, as queried (paused, promoted) or seen from outside (exited). */
export interface ObservedRecoveryEnd {
  outcome: 'paused' | 'promoted' | 'exited';
  /** pg_last_wal_replay_lsn(): the end of the last record replayed; null when the server could not be asked. */
  replayLsn: string | null;
  /** pg_last_xact_replay_timestamp(): the time of the last commit or abort replayed. */
  lastReplayedCommit: UtcMicros | null;
  /** The checkpoint's timeline (pg_control_checkpoint()), when the log does not say. */
  checkpointTimeline: number | null;
}

/** The plan's facts the check needs. */
export type PlannedStop = Pick<RestorePlan, 'endWal' | 'firstCommitAfterTarget' | 'stopLsn' | 'targetTimeline'>;

/** Where replay stopped, once proven. */
export interface ProvenStop {
  state: 'paused' | 'promoted' | 'shutdown';
  /** pg_last_wal_replay_lsn() at the stop; null after a shutdown at the target (nothing could be asked). */
  lsn: string | null;
  /** The timeline of the WAL replay stopped in (the file restore_command delivered there). */
  timeline: number;
  /** The stop in words, from the log line, e.g. `before commit of transaction 752 (2026-12-01T04:32:19.123456Z)`. */
  description: string;
  /** The timeline a promotion started, when the target action promoted. */
  promotedTo: number | null;
}

export interface StopCheckRequest {
  target: RecoveryTarget;
  targetAction: TargetAction;
  plan: PlannedStop;
  observed: ObservedRecoveryEnd;
  /** The log of this start of PostgreSQL. */
  thisRun: RecoveryLogFacts;
  /** The log of the starts before it on this data directory (an earlier verify attempt), for a cluster that attempt already promoted. */
  earlier: RecoveryLogFacts;
  /** The data directory and the log file, for what to do. */
  dataDir: string;
  logFile: string;
}

/**
 * Proves that replay stopped where the plan says it stops, or throws RecoveryStoppedShort (PostgreSQL paused or
 * ended elsewhere) or RecoveryFailed (the server died for another reason, or ended otherwise than the target action).
 */
export function proveRecoveryStop(request: StopCheckRequest): ProvenStop {
  const { target, plan, observed, thisRun, dataDir, logFile } = request;
  const expected = expectedStop(target, plan);
  const short = (what: string, todo: string) =>
    new RestoreError(FailureTypes.RecoveryStoppedShort, `${what}; the plan expected replay to stop ${expected}. ${todo} (PostgreSQL's log of this run: ${logFile})`);

  if (thisRun.endedBeforeTarget) {
    throw short(
      `PostgreSQL ran out of WAL before reaching ${describeTarget(target)}: it said ${quoteLog(thisRun.endedBeforeTarget)}`,
      `The WAL restored for it ends at ${plan.endWal}, which should hold the stop point: check that segment in the archive and restore again.`,
    );
  }
  if (thisRun.insufficientSettings.length > 0 && !thisRun.stop) {
    const at = thisRun.insufficientSettingsAt;
    throw short(
      `PostgreSQL ${observed.outcome === 'paused' ? 'paused replay' : 'stopped'}${at ? ` at ${at.lsn} (${at.record})` : ''} before reaching ${describeTarget(target)}, because a setting of the restored configuration is lower than on the source when it wrote this WAL: ` +
        thisRun.insufficientSettings.map(quoteLog).join(', '),
      `Raise that setting in ${dataDir}/postgresql.auto.conf (or postgresql.conf) to at least the source's value, then start PostgreSQL on ${dataDir}: replay goes on to the target from where it paused.`,
    );
  }

  let facts = thisRun;
  let fromEarlier = false;
  if (!thisRun.stop && observed.outcome === 'promoted' && !thisRun.recoveryStarted && request.earlier.stop && request.earlier.newTimeline !== null) {
    // An earlier attempt of verify promoted this cluster and was cut off before it finished: this start found it
    // promoted and recovered nothing, so that attempt's log holds the stop.
    facts = request.earlier;
    fromEarlier = true;
  }

  if (observed.outcome === 'exited' && !facts.shutdownAtTarget) {
    throw new RestoreError(
      FailureTypes.RecoveryFailed,
      `PostgreSQL stopped during recovery: ${facts.fatal.length > 0 ? facts.fatal.slice(-4).map(quoteLog).join(' | ') : 'without a FATAL line'}; see ${logFile}`,
    );
  }
  const state = observed.outcome === 'exited' ? 'shutdown' : observed.outcome;
  const stop = facts.stop;
  if (!stop) {
    const said = facts.pausedLine ? `; it said ${quoteLog(facts.pausedLine)}` : '';
    throw short(
      `PostgreSQL ${state === 'paused' ? 'paused replay' : state === 'promoted' ? 'ended recovery' : 'shut down'} without reaching ${describeTarget(target)} (no "recovery stopping ..." line in its log of this run${said})`,
      `Look in the log for why replay halted there.`,
    );
  }
  const mismatch = stopMismatch(target, plan, stop.point);
  if (mismatch) {
    throw short(`PostgreSQL stopped elsewhere: it said ${quoteLog(stop.line)}, ${mismatch}`, 'The plan and the WAL PostgreSQL replayed disagree: report this with the plan (pitr plan) and the log.');
  }
  if (observed.replayLsn !== null) {
    const problem = replayPositionProblem(target, plan, observed.replayLsn);
    if (problem) throw short(`PostgreSQL said ${quoteLog(stop.line)}, but ${problem}`, 'Report this with the plan (pitr plan) and the log.');
  }
  if (target.kind === 'time' && observed.lastReplayedCommit !== null && observed.lastReplayedCommit > target.utc) {
    throw short(
      `PostgreSQL replayed a commit at ${observed.lastReplayedCommit}, later than the target ${target.utc}`,
      'Report this with the plan (pitr plan) and the log.',
    );
  }

  const position = plan.endWal.slice(8);
  const expectedTimeline = parseSegmentName(plan.endWal).timeline;
  const readTimeline = facts.restoredTimelines.get(position);
  if (readTimeline !== undefined && readTimeline !== expectedTimeline) {
    throw short(
      `PostgreSQL read the WAL where it stopped from timeline ${readTimeline} (segment ${readTimeline.toString(16).toUpperCase().padStart(8, '0')}${position}), ` +
        `but the plan follows timeline ${plan.targetTimeline} and holds that position on timeline ${expectedTimeline} (${plan.endWal})`,
      'A history file the plan did not expect reached the restore: report this with the plan (pitr plan) and the log.',
    );
  }

  const wanted: ProvenStop['state'] = request.targetAction === 'promote' ? 'promoted' : request.targetAction === 'shutdown' ? 'shutdown' : 'paused';
  if (state !== wanted) {
    throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL reached the target and ${state === 'shutdown' ? 'shut down' : state}, but the target action asked for ${wanted}; see ${logFile}`);
  }
  return {
    state,
    lsn: observed.replayLsn,
    timeline: readTimeline ?? observed.checkpointTimeline ?? expectedTimeline,
    description: describeStop(stop.point) + (fromEarlier ? ' (by the earlier attempt of verify that promoted it)' : ''),
    promotedTo: state === 'promoted' ? (facts.newTimeline ?? observed.checkpointTimeline) : null,
  };
}

/** Where the plan says replay stops, in words. */
export function expectedStop(target: RecoveryTarget, plan: PlannedStop): string {
  const at = plan.stopLsn;
  switch (target.kind) {
    case 'time':
      return `before the commit at ${at}${plan.firstCommitAfterTarget ? ` (${plan.firstCommitAfterTarget})` : ''}, the first commit after the target ${target.utc}`;
    case 'xid':
      return `after the end of transaction ${target.xid} (its record at ${at})`;
    case 'name':
      return `at restore point ${excerpt(target.name, 80)} (its record at ${at})`;
    case 'lsn':
      return `after the record at WAL location ${target.lsn}`;
    case 'immediate':
      return `after reaching consistency at the end of the backup (${at})`;
    default:
      return unknownKind(target);
  }
}

/** What differs between the stop PostgreSQL names and the plan's, or null when it is the planned one. */
export function stopMismatch(target: RecoveryTarget, plan: PlannedStop, point: StopPoint): string | null {
  switch (target.kind) {
    case 'time': {
      if (point.kind !== 'transaction' || point.side !== 'before') return 'not before a commit, as a time target stops';
      if (point.time === null) return 'and its time cannot be read';
      if (point.time <= target.utc) return `before a transaction end at ${point.time}, not later than the target ${target.utc}`;
      const first = plan.firstCommitAfterTarget;
      if (first === undefined) return null;
      if (point.end === 'commit' && point.time !== first) return `before a commit at ${point.time}, not the first commit after the target, at ${first}`;
      // A rollback between the target and the next commit: PostgreSQL stops before its abort record (recoveryStopsBefore
      // considers both), which the plan, looking for commits, passes over. Nothing of it is visible, so the data is the same.
      if (point.end === 'abort' && point.time > first) return `before an abort at ${point.time}, after the first commit after the target, at ${first}`;
      return null;
    }
    case 'xid':
      if (point.kind !== 'transaction' || point.side !== 'after') return 'not after the end of a transaction, as a transaction id target stops';
      return point.xid === target.xid ? null : `after transaction ${point.xid}, not ${target.xid}`;
    case 'name':
      if (point.kind !== 'restore-point') return 'not at a restore point';
      return point.name === target.name ? null : `at restore point ${excerpt(point.name, 80)}, not ${excerpt(target.name, 80)}`;
    case 'lsn':
      if (point.kind !== 'lsn' || point.side !== 'after') return 'not after a WAL location, as an LSN target stops';
      return parseLsn(point.lsn) === parseLsn(target.lsn) ? null : `after WAL location ${point.lsn}, not ${target.lsn}`;
    case 'immediate':
      return point.kind === 'consistency' ? null : 'not at reaching consistency, as an immediate target stops';
    default:
      return unknownKind(target);
  }
}

/**
 * What is wrong with the replay position, or null. pg_last_wal_replay_lsn() is the end of the last record replayed:
 * a stop before the record at stopLsn (time targets) leaves it at or before that record's start; a stop after it
 * (xid, name, lsn) past its start; consistency at or past the backup's end.
 */
export function replayPositionProblem(target: RecoveryTarget, plan: Pick<PlannedStop, 'stopLsn'>, replayLsn: string): string | null {
  const replay = parseLsn(replayLsn);
  const stop = parseLsn(plan.stopLsn);
  switch (target.kind) {
    case 'time':
      return replay <= stop ? null : `replay went on to ${replayLsn}, past the commit at ${plan.stopLsn} it should have stopped before`;
    case 'xid':
    case 'name':
    case 'lsn':
      return replay > stop ? null : `replay ended at ${replayLsn}, before the record at ${plan.stopLsn} it should have replayed`;
    case 'immediate':
      return replay >= stop ? null : `replay ended at ${replayLsn}, before the end of the backup at ${plan.stopLsn}`;
    default:
      return unknownKind(target);
  }
}

/** The stop in words, for the result. */
export function describeStop(point: StopPoint): string {
  switch (point.kind) {
    case 'transaction':
      return `${point.side} ${point.end} of transaction ${point.xid}${point.time ? ` (${point.time})` : ''}`;
    case 'restore-point':
      return `at restore point ${excerpt(point.name, 80)}${point.time ? ` (${point.time})` : ''}`;
    case 'lsn':
      return `${point.side} WAL location ${point.lsn}`;
    case 'consistency':
      return 'after reaching consistency';
    default: {
      const unchecked: never = point;
      void unchecked;
      return 'somewhere';
    }
  }
}

function quoteLog(line: string): string {
  return excerpt(line, LOG_EXCERPT_CHARS);
}
