import assert from 'node:assert/strict';
import {
  describeStop,
  expectedStop,
  logMessage,
  parseStopMessage,
  proveRecoveryStop,
  readRecoveryLog,
  replayPositionProblem,
  stopMismatch,
  type ObservedRecoveryEnd,
  type PlannedStop,
  type StopCheckRequest,
} from '../../../src/core/recovery-stop';
import type { RecoveryTarget } from '../../../src/core/recovery-target';
import { RestoreError } from '../../../src/shared';
import {
  PG15_PAUSED_AFTER_LSN,
  PG15_PAUSED_AT_RESTORE_POINT,
  PG15_PAUSED_FOR_SETTINGS,
  PG15_PROMOTED_AT_TIME,
  PG17_PAUSED_AFTER_XID,
  PG17_PAUSED_AT_TIME,
  PG17_SHUTDOWN_IMMEDIATE,
} from './fixtures/verify-logs';

// Real logs of verify runs are in ./fixtures/verify-logs.ts. The made-up ones below are for what the local stack
// cannot produce without breaking a restore by hand (the end of WAL before the target, another stop); their lines
// are PostgreSQL 15.18's and 17.10's texts (xlogrecovery.c, the same in both) with the default log_line_prefix.
const PREFIX = '2026-12-01 06:12:03.412 UTC [41877] ';

const START = [
  `${PREFIX}LOG:  starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit`,
  `${PREFIX}LOG:  listening on IPv4 address "127.0.0.1", port 41000`,
  `${PREFIX}LOG:  database system was interrupted; last known up at 2026-12-01 01:02:50 UTC`,
  `${PREFIX}LOG:  starting point-in-time recovery to 2026-12-01 01:03:14.5+00`,
  `${PREFIX}LOG:  starting backup recovery with redo LSN 0/8000028, checkpoint LSN 0/8000060, on timeline ID 1`,
  `${PREFIX}LOG:  restored log file "000000010000000000000008" from archive`,
  `${PREFIX}LOG:  redo starts at 0/8000028`,
  `${PREFIX}LOG:  restored log file "000000010000000000000009" from archive`,
  `${PREFIX}LOG:  completed backup recovery with redo LSN 0/8000028 and end LSN 0/8000138`,
  `${PREFIX}LOG:  consistent recovery state reached at 0/8000138`,
  `${PREFIX}LOG:  database system is ready to accept read-only connections`,
];

const PAUSED_AT_TARGET = [
  ...START,
  `${PREFIX}LOG:  restored log file "00000001000000000000000A" from archive`,
  `${PREFIX}LOG:  recovery stopping before commit of transaction 752, time 2026-12-01 01:03:15.123456+00`,
  `${PREFIX}LOG:  pausing at the end of recovery`,
  `${PREFIX}HINT:  Execute pg_wal_replay_resume() to promote.`,
].join('\n');

const OUT_OF_WAL = [
  ...START,
  "cp: cannot stat 'barman_wal/00000001000000000000000A': No such file or directory",
  `${PREFIX}LOG:  redo done at 0/9FFFF60 system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.05 s`,
  `${PREFIX}LOG:  last completed transaction was at log time 2026-12-01 01:03:14.123456+00`,
  `${PREFIX}FATAL:  recovery ended before configured recovery target was reached`,
  `${PREFIX}LOG:  startup process (PID 41878) exited with exit code 1`,
  `${PREFIX}LOG:  terminating any other active server processes`,
  `${PREFIX}LOG:  shutting down due to startup process failure`,
  `${PREFIX}LOG:  database system is shut down`,
].join('\n');

const timeTarget: RecoveryTarget = { kind: 'time', utc: '2026-12-01T01:03:14.500000Z', given: '2026-12-01 01:03:14.5+00' };
const timePlan: PlannedStop = {
  stopLsn: '0/A0001C8',
  endWal: '00000001000000000000000A',
  targetTimeline: 1,
  firstCommitAfterTarget: '2026-12-01T01:03:15.123456Z',
};
const paused: ObservedRecoveryEnd = { outcome: 'paused', replayLsn: '0/A000190', lastReplayedCommit: '2026-12-01T01:03:14.123456Z', checkpointTimeline: 1 };

function request(overrides: Partial<StopCheckRequest> & { log?: string }): StopCheckRequest {
  const { log = PAUSED_AT_TARGET, ...rest } = overrides;
  return {
    target: timeTarget,
    targetAction: 'pause',
    plan: timePlan,
    observed: paused,
    thisRun: readRecoveryLog(log),
    earlier: readRecoveryLog(''),
    dataDir: '/srv/restore/pg',
    logFile: '/var/lib/pitr/work/verify-postgres.log',
    ...rest,
  };
}

function refusal(req: StopCheckRequest): RestoreError {
  try {
    proveRecoveryStop(req);
  } catch (err) {
    assert.ok(err instanceof RestoreError, String(err));
    return err;
  }
  assert.fail('the stop was accepted');
}

describe('core/recovery-stop', () => {
  describe('reading the log', () => {
    it('reads every "recovery stopping" text of xlogrecovery.c', () => {
      assert.deepEqual(parseStopMessage('recovery stopping before commit of transaction 752, time 2026-12-01 04:32:19.123456+00'), {
        kind: 'transaction', side: 'before', end: 'commit', xid: '752', time: '2026-12-01T04:32:19.123456Z',
      });
      assert.deepEqual(parseStopMessage('recovery stopping before abort of transaction 753, time 2026-12-01 05:32:19.12+01'), {
        kind: 'transaction', side: 'before', end: 'abort', xid: '753', time: '2026-12-01T04:32:19.120000Z',
      });
      assert.deepEqual(parseStopMessage('recovery stopping after commit of transaction 740, time 2026-12-01 10:02:48+05:30'), {
        kind: 'transaction', side: 'after', end: 'commit', xid: '740', time: '2026-12-01T04:32:48.000000Z',
      });
      assert.deepEqual(parseStopMessage('recovery stopping after abort of transaction 4294967295, time 2026-12-01 04:32:19.1+00'), {
        kind: 'transaction', side: 'after', end: 'abort', xid: '4294967295', time: '2026-12-01T04:32:19.100000Z',
      });
      assert.deepEqual(parseStopMessage('recovery stopping at restore point "before-upgrade", time 2026-12-01 04:32:19.5+00'), {
        kind: 'restore-point', name: 'before-upgrade', time: '2026-12-01T04:32:19.500000Z',
      });
      assert.deepEqual(parseStopMessage('recovery stopping at restore point "a", time 2026-01-01 00:00:00+00", time 2026-12-01 04:32:19+00'), {
        kind: 'restore-point', name: 'a", time 2026-01-01 00:00:00+00', time: '2026-12-01T04:32:19.000000Z',
      }, 'a name holding the separator is read up to the last one');
      assert.deepEqual(parseStopMessage('recovery stopping after WAL location (LSN) "0/5000000"'), { kind: 'lsn', side: 'after', lsn: '0/5000000' });
      assert.deepEqual(parseStopMessage('recovery stopping before WAL location (LSN) "1/0A0001C8"'), { kind: 'lsn', side: 'before', lsn: '1/A0001C8' });
      assert.deepEqual(parseStopMessage('recovery stopping after reaching consistency'), { kind: 'consistency' });
      assert.equal(parseStopMessage('recovery has paused'), null);
      assert.equal(parseStopMessage('pausing at the end of recovery'), null);
    });

    it('takes the message from after the severity, whatever the prefix, and with log_error_verbosity = verbose', () => {
      assert.deepEqual(logMessage(`${PREFIX}LOG:  recovery stopping after reaching consistency`), { severity: 'LOG', message: 'recovery stopping after reaching consistency' });
      assert.deepEqual(logMessage('LOG:  00000: recovery stopping after reaching consistency'), { severity: 'LOG', message: 'recovery stopping after reaching consistency' });
      assert.deepEqual(logMessage('DETAIL:  max_connections = 100 is a lower setting'), { severity: 'DETAIL', message: 'max_connections = 100 is a lower setting' });
      assert.equal(logMessage("cp: cannot stat 'barman_wal/00000001000000000000000A': No such file or directory"), null);
    });

    it('collects the facts of one start: the stop, the WAL files restored, a pause for settings, the end of WAL, a promotion', () => {
      const atTarget = readRecoveryLog(PAUSED_AT_TARGET);
      assert.equal(atTarget.stop?.line, 'LOG: recovery stopping before commit of transaction 752, time 2026-12-01 01:03:15.123456+00');
      assert.equal(atTarget.recoveryStarted, true);
      assert.equal(atTarget.restoredTimelines.get('000000000000000A'), 1);
      assert.deepEqual(atTarget.insufficientSettings, []);

      const settings = readRecoveryLog(PG15_PAUSED_FOR_SETTINGS);
      assert.equal(settings.stop, null);
      assert.deepEqual(settings.insufficientSettings, [
        'WARNING: hot standby is not possible because of insufficient parameter settings DETAIL: max_connections = 100 is a lower setting than on the primary server, where its value was 150.',
      ]);
      assert.equal(settings.pausedLine, 'LOG: recovery has paused');

      const outOfWal = readRecoveryLog(OUT_OF_WAL);
      assert.equal(outOfWal.endedBeforeTarget, 'FATAL: recovery ended before configured recovery target was reached');

      const promoted = readRecoveryLog(
        [
          ...START,
          `${PREFIX}LOG:  restored log file "00000002000000000000000A" from archive`,
          `${PREFIX}LOG:  recovery stopping at restore point "before-upgrade", time 2026-12-01 01:03:15.123456+00`,
          `${PREFIX}LOG:  redo done at 0/A000200 system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.05 s`,
          `${PREFIX}LOG:  selected new timeline ID: 3`,
          `${PREFIX}LOG:  archive recovery complete`,
        ].join('\n'),
      );
      assert.equal(promoted.newTimeline, 3);
      assert.equal(promoted.restoredTimelines.get('000000000000000A'), 2, 'the file restored last at a position wins');
      assert.equal(readRecoveryLog(`${PREFIX}LOG:  shutdown at recovery target`).shutdownAtTarget, true);
    });
  });

  describe('real logs of verify runs (PostgreSQL 15 and 17)', () => {
    const pausedAt = (replayLsn: string, lastReplayedCommit: string): ObservedRecoveryEnd => ({ outcome: 'paused', replayLsn, lastReplayedCommit, checkpointTimeline: 1 });
    const prove = (log: string, target: RecoveryTarget, plan: PlannedStop, observed: ObservedRecoveryEnd, targetAction: StopCheckRequest['targetAction'] = 'pause') =>
      proveRecoveryStop(request({ log, target, plan, observed, targetAction }));

    it('PostgreSQL 17, time target, paused before the first commit after it', () => {
      const stop = prove(
        PG17_PAUSED_AT_TIME,
        { kind: 'time', utc: '2026-12-01T01:04:01.130668Z', given: '2026-12-01 01:04:01.130668+00' },
        { stopLsn: '0/40002F0', endWal: '000000010000000000000004', targetTimeline: 1, firstCommitAfterTarget: '2026-12-01T01:04:01.655079Z' },
        pausedAt('0/40002F0', '2026-12-01T01:04:00.606817Z'),
      );
      assert.deepEqual(stop, { state: 'paused', lsn: '0/40002F0', timeline: 1, description: 'before commit of transaction 753 (2026-12-01T01:04:01.655079Z)', promotedTo: null });
    });

    it('PostgreSQL 15, time target, promoted: timeline 2 started, replay stopped on timeline 1', () => {
      const stop = prove(
        PG15_PROMOTED_AT_TIME,
        { kind: 'time', utc: '2026-12-01T01:02:46.893904Z', given: '2026-12-01 01:02:46.893904+00' },
        { stopLsn: '0/6000318', endWal: '000000010000000000000006', targetTimeline: 1, firstCommitAfterTarget: '2026-12-01T01:02:47.445352Z' },
        { outcome: 'promoted', replayLsn: '0/6000318', lastReplayedCommit: '2026-12-01T01:02:46.343317Z', checkpointTimeline: 1 },
        'promote',
      );
      assert.deepEqual(stop, { state: 'promoted', lsn: '0/6000318', timeline: 1, description: 'before commit of transaction 739 (2026-12-01T01:02:47.445352Z)', promotedTo: 2 });
    });

    it('PostgreSQL 17, transaction id target, paused after its commit', () => {
      const stop = prove(PG17_PAUSED_AFTER_XID, { kind: 'xid', xid: '753' }, { stopLsn: '0/40002F0', endWal: '000000010000000000000004', targetTimeline: 1 }, pausedAt('0/4000318', '2026-12-01T01:04:01.655079Z'));
      assert.equal(stop.description, 'after commit of transaction 753 (2026-12-01T01:04:01.655079Z)');
      assert.match(refusal(request({ log: PG17_PAUSED_AFTER_XID, target: { kind: 'xid', xid: '752' }, plan: { stopLsn: '0/40002F0', endWal: '000000010000000000000004', targetTimeline: 1 }, observed: pausedAt('0/4000318', '2026-12-01T01:04:01.655079Z') })).message, /PostgreSQL stopped elsewhere: it said "LOG: recovery stopping after commit of transaction 753, time 2026-12-01 01:04:01\.655079\+00", after transaction 753, not 752; the plan expected replay to stop after the end of transaction 752/);
    });

    it('PostgreSQL 17, immediate, shut down at the target as asked', () => {
      const stop = prove(PG17_SHUTDOWN_IMMEDIATE, { kind: 'immediate' }, { stopLsn: '0/3000120', endWal: '000000010000000000000003', targetTimeline: 1 }, { outcome: 'exited', replayLsn: null, lastReplayedCommit: null, checkpointTimeline: null }, 'shutdown');
      assert.deepEqual(stop, { state: 'shutdown', lsn: null, timeline: 1, description: 'after reaching consistency', promotedTo: null });
    });

    it('PostgreSQL 15, restore point and LSN targets, paused after their records', () => {
      const name = prove(PG15_PAUSED_AT_RESTORE_POINT, { kind: 'name', name: 'after-b2-1' }, { stopLsn: '0/A0006D0', endWal: '00000001000000000000000A', targetTimeline: 1 }, pausedAt('0/A000738', '2026-12-01T01:03:14.327083Z'));
      assert.equal(name.description, 'at restore point "after-b2-1" (2026-12-01T01:03:14.438369Z)');
      const lsn = prove(PG15_PAUSED_AFTER_LSN, { kind: 'lsn', lsn: '0/A000738' }, { stopLsn: '0/A000738', endWal: '00000001000000000000000A', targetTimeline: 1 }, pausedAt('0/A000790', '2026-12-01T01:03:14.327083Z'));
      assert.equal(lsn.description, 'after WAL location 0/A000738');
    });

    it('PostgreSQL 15, paused for insufficient parameter settings (c319-tblspc-15): RecoveryStoppedShort, which setting, where', () => {
      const facts = readRecoveryLog(PG15_PAUSED_FOR_SETTINGS);
      assert.equal(facts.stop, null);
      assert.deepEqual(facts.insufficientSettingsAt, { lsn: '0/50000A0', record: 'XLOG/PARAMETER_CHANGE' });
      const err = refusal(
        request({
          log: PG15_PAUSED_FOR_SETTINGS,
          target: { kind: 'time', utc: '2026-12-01T06:34:13.150765Z', given: '2026-12-01 06:34:13.150765+00' },
          plan: { stopLsn: '0/5000410', endWal: '000000010000000000000005', targetTimeline: 1, firstCommitAfterTarget: '2026-12-01T06:34:13.660619Z' },
          observed: pausedAt('0/50000A0', '2026-12-01T06:34:10.901801Z'),
        }),
      );
      assert.equal(err.type, 'RecoveryStoppedShort');
      assert.equal(
        err.message,
        'PostgreSQL paused replay at 0/50000A0 (XLOG/PARAMETER_CHANGE) before reaching 2026-12-01T06:34:13.150765Z, because a setting of the restored configuration is lower than on the source when it wrote this WAL: ' +
          '"WARNING: hot standby is not possible because of insufficient parameter settings DETAIL: max_connections = 100 is a lower setting than on the primary server, where its value was 150."; ' +
          'the plan expected replay to stop before the commit at 0/5000410 (2026-12-01T06:34:13.660619Z), the first commit after the target 2026-12-01T06:34:13.150765Z. ' +
          "Raise that setting in /srv/restore/pg/postgresql.auto.conf (or postgresql.conf) to at least the source's value, then start PostgreSQL on /srv/restore/pg: replay goes on to the target from where it paused. " +
          "(PostgreSQL's log of this run: /var/lib/pitr/work/verify-postgres.log)",
      );
    });
  });

  describe('proving the stop', () => {
    it('refuses a target of no known kind (an unchecked input) instead of passing its checks', () => {
      const unknown = { kind: 'latest' } as unknown as RecoveryTarget;
      const plan = { stopLsn: '0/A000190' } as PlannedStop;
      const invalid = (err: unknown) => err instanceof RestoreError && err.type === 'InvalidTarget' && /no recovery target of a known kind \(\{"kind":"latest"\}\)/.test(err.message);
      assert.throws(() => replayPositionProblem(unknown, plan, '0/B000000'), invalid);
      assert.throws(() => stopMismatch(unknown, plan, { kind: 'consistency' } as never), invalid);
      assert.throws(() => expectedStop(unknown, plan), invalid);
    });

    it('accepts a time target that stopped before the first commit after it, at the planned place and timeline', () => {
      const stop = proveRecoveryStop(request({}));
      assert.deepEqual(stop, {
        state: 'paused',
        lsn: '0/A000190',
        timeline: 1,
        description: 'before commit of transaction 752 (2026-12-01T01:03:15.123456Z)',
        promotedTo: null,
      });
    });

    it('refuses the end of WAL before the target, and a pause with no stop line, as RecoveryStoppedShort', () => {
      const outOfWal = refusal(request({ log: OUT_OF_WAL, observed: { outcome: 'exited', replayLsn: null, lastReplayedCommit: null, checkpointTimeline: null } }));
      assert.equal(outOfWal.type, 'RecoveryStoppedShort');
      assert.match(outOfWal.message, /ran out of WAL before reaching .*"FATAL: recovery ended before configured recovery target was reached"/);
      assert.match(outOfWal.message, /ends at 00000001000000000000000A/);

      const pausedByHand = refusal(request({ log: [...START, `${PREFIX}LOG:  recovery has paused`].join('\n') }));
      assert.equal(pausedByHand.type, 'RecoveryStoppedShort');
      assert.match(pausedByHand.message, /paused replay without reaching .*no "recovery stopping \.\.\." line .*"LOG: recovery has paused"/);
    });

    it('refuses a stop at another commit, before a target-time transaction end, or past the planned commit', () => {
      const other = (line: string) => request({ log: [...START, `${PREFIX}LOG:  ${line}`].join('\n') });
      assert.match(refusal(other('recovery stopping before commit of transaction 760, time 2026-12-01 01:03:20+00')).message, /before a commit at 2026-12-01T01:03:20\.000000Z, not the first commit after the target, at 2026-12-01T01:03:15\.123456Z/);
      assert.match(refusal(other('recovery stopping before commit of transaction 740, time 2026-12-01 01:03:14+00')).message, /not later than the target/);
      assert.match(refusal(other('recovery stopping after reaching consistency')).message, /not before a commit, as a time target stops/);
      assert.match(refusal(request({ observed: { ...paused, replayLsn: '0/A000300' } })).message, /replay went on to 0\/A000300, past the commit at 0\/A0001C8/);
      assert.match(refusal(request({ observed: { ...paused, lastReplayedCommit: '2026-12-01T01:03:15.123456Z' } })).message, /replayed a commit at 2026-12-01T01:03:15\.123456Z, later than the target/);
    });

    it('accepts a stop before an abort between the target and the first commit after it (PostgreSQL stops at aborts too)', () => {
      const log = [...START, `${PREFIX}LOG:  recovery stopping before abort of transaction 751, time 2026-12-01 01:03:14.9+00`].join('\n');
      assert.equal(proveRecoveryStop(request({ log })).description, 'before abort of transaction 751 (2026-12-01T01:03:14.900000Z)');
    });

    it('checks xid, restore point, LSN and immediate targets against their own stop lines and the replay LSN', () => {
      const plan = { ...timePlan, stopLsn: '0/A0001C8', firstCommitAfterTarget: undefined };
      const after = { ...paused, replayLsn: '0/A0001F0' };
      const check = (target: RecoveryTarget, line: string, observed = after) =>
        proveRecoveryStop(request({ target, plan, observed, log: [...START, `${PREFIX}LOG:  ${line}`].join('\n') }));

      assert.equal(check({ kind: 'xid', xid: '740' }, 'recovery stopping after commit of transaction 740, time 2026-12-01 01:02:48.674565+00').description, 'after commit of transaction 740 (2026-12-01T01:02:48.674565Z)');
      assert.match(refusal(request({ target: { kind: 'xid', xid: '741' }, plan, observed: after, log: [...START, `${PREFIX}LOG:  recovery stopping after commit of transaction 740, time 2026-12-01 01:02:48+00`].join('\n') })).message, /after transaction 740, not 741/);
      assert.match(refusal(request({ target: { kind: 'xid', xid: '740' }, plan, observed: paused, log: [...START, `${PREFIX}LOG:  recovery stopping after commit of transaction 740, time 2026-12-01 01:02:48+00`].join('\n') })).message, /replay ended at 0\/A000190, before the record at 0\/A0001C8 it should have replayed/);

      assert.equal(check({ kind: 'name', name: 'before-upgrade' }, 'recovery stopping at restore point "before-upgrade", time 2026-12-01 01:02:55+00').description, 'at restore point "before-upgrade" (2026-12-01T01:02:55.000000Z)');
      assert.match(refusal(request({ target: { kind: 'name', name: 'other' }, plan, observed: after, log: [...START, `${PREFIX}LOG:  recovery stopping at restore point "before-upgrade", time 2026-12-01 01:02:55+00`].join('\n') })).message, /at restore point "before-upgrade", not "other"/);

      assert.equal(check({ kind: 'lsn', lsn: '0/A0001C8' }, 'recovery stopping after WAL location (LSN) "0/A0001C8"').description, 'after WAL location 0/A0001C8');
      assert.match(refusal(request({ target: { kind: 'lsn', lsn: '0/A0001C8' }, plan, observed: after, log: [...START, `${PREFIX}LOG:  recovery stopping after WAL location (LSN) "0/A000000"`].join('\n') })).message, /after WAL location 0\/A000000, not 0\/A0001C8/);

      const immediatePlan = { ...plan, stopLsn: '0/8000138', endWal: '000000010000000000000008' };
      assert.equal(proveRecoveryStop(request({ target: { kind: 'immediate' }, plan: immediatePlan, observed: { ...paused, replayLsn: '0/8000138' }, log: [...START, `${PREFIX}LOG:  recovery stopping after reaching consistency`].join('\n') })).description, 'after reaching consistency');
      assert.match(refusal(request({ target: { kind: 'immediate' }, plan: immediatePlan, observed: { ...paused, replayLsn: '0/8000100' }, log: [...START, `${PREFIX}LOG:  recovery stopping after reaching consistency`].join('\n') })).message, /before the end of the backup at 0\/8000138/);
    });

    it('refuses a stop in WAL of another timeline than the plan holds there', () => {
      const log = PAUSED_AT_TARGET.replace('"00000001000000000000000A"', '"00000002000000000000000A"');
      const err = refusal(request({ log }));
      assert.equal(err.type, 'RecoveryStoppedShort');
      assert.match(err.message, /read the WAL where it stopped from timeline 2 \(segment 00000002000000000000000A\), but the plan follows timeline 1 and holds that position on timeline 1/);
    });

    it('reports a promotion: the timeline it started, and the one replay stopped on', () => {
      const log = [PAUSED_AT_TARGET.split('\n').slice(0, -2).join('\n'), `${PREFIX}LOG:  selected new timeline ID: 2`, `${PREFIX}LOG:  archive recovery complete`].join('\n');
      const stop = proveRecoveryStop(request({ log, targetAction: 'promote', observed: { ...paused, outcome: 'promoted', checkpointTimeline: 1 } }));
      assert.equal(stop.state, 'promoted');
      assert.equal(stop.promotedTo, 2);
      assert.equal(stop.timeline, 1);
    });

    it("takes an earlier attempt's stop for a cluster that attempt promoted, but never for one this start found paused", () => {
      const earlierLog = [PAUSED_AT_TARGET.split('\n').slice(0, -2).join('\n'), `${PREFIX}LOG:  selected new timeline ID: 2`].join('\n');
      const restarted = [`${PREFIX}LOG:  database system was shut down at 2026-12-01 06:12:09 UTC`, `${PREFIX}LOG:  database system is ready to accept connections`].join('\n');
      const stop = proveRecoveryStop(request({ log: restarted, earlier: readRecoveryLog(earlierLog), targetAction: 'promote', observed: { ...paused, outcome: 'promoted', checkpointTimeline: 2 } }));
      assert.equal(stop.description, 'before commit of transaction 752 (2026-12-01T01:03:15.123456Z) (by the earlier attempt of verify that promoted it)');
      assert.equal(stop.promotedTo, 2);
      const err = refusal(request({ log: [...START, `${PREFIX}LOG:  recovery has paused`].join('\n'), earlier: readRecoveryLog(PAUSED_AT_TARGET) }));
      assert.equal(err.type, 'RecoveryStoppedShort', 'an old stop line does not vouch for a pause of this start');
    });

    it('accepts a shutdown at the target when asked for it, and names any other death as RecoveryFailed', () => {
      const log = [PAUSED_AT_TARGET.split('\n').slice(0, -2).join('\n'), `${PREFIX}LOG:  shutdown at recovery target`, `${PREFIX}LOG:  database system is shut down`].join('\n');
      const exited: ObservedRecoveryEnd = { outcome: 'exited', replayLsn: null, lastReplayedCommit: null, checkpointTimeline: null };
      const stop = proveRecoveryStop(request({ log, targetAction: 'shutdown', observed: exited }));
      assert.equal(stop.state, 'shutdown');
      assert.equal(stop.lsn, null);
      assert.equal(refusal(request({ log, observed: exited })).type, 'RecoveryFailed', 'a shutdown where a pause was asked for');
      const died = refusal(request({ log: [...START, `${PREFIX}PANIC:  could not locate a valid checkpoint record`].join('\n'), observed: exited }));
      assert.equal(died.type, 'RecoveryFailed');
      assert.match(died.message, /"PANIC: could not locate a valid checkpoint record"/);
    });

    it('quotes log text as untrusted: bounded, control characters escaped', () => {
      const log = [...START, `${PREFIX}LOG:  recovery stopping at restore point "evil\u001b[2J${'x'.repeat(300)}", time 2026-12-01 01:02:55+00`].join('\n');
      const err = refusal(request({ target: { kind: 'name', name: 'good' }, plan: { ...timePlan, firstCommitAfterTarget: undefined }, observed: { ...paused, replayLsn: '0/A0001F0' }, log }));
      assert.ok(!err.message.includes('\u001b'), 'no escape character reaches the message');
      assert.match(err.message, /\\u001b\[2J/);
      assert.ok(err.message.length < 1200, `message of ${err.message.length} characters`);
      assert.equal(describeStop({ kind: 'restore-point', name: 'a\u202eb', time: null }), 'at restore point "a\\u202eb"');
    });
  });
});
