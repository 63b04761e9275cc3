import assert from 'node:assert/strict';
import { formatDuration, identityHost, lastWorker, restoreRecord, resumeReuse, type RecordedEvent } from '../../../src/core/restore-record';

const T0 = Date.parse('2026-12-01T05:00:00.000Z');
const input = { server: 'pg', destination: '/srv/pg', taskQueue: 'host-a' };
const plan = { backupId: '20261201T010250', beginWal: '000000010000000000000008', endWal: '00000001000000000000000A', workDir: '/var/lib/pitr/restores/pg-x' };

/** A restore whose WAL step failed after retries: scheduled at +1 s, plan done at +2 s, base at +10 s. */
function failedOnWal(): RecordedEvent[] {
  return [
    { kind: 'workflowStarted', at: T0, taskQueue: 'host-a', input },
    { kind: 'activityScheduled', eventId: 5, at: T0 + 1000, activity: 'planRestore', taskQueue: 'host-a' },
    { kind: 'activityStarted', scheduledEventId: 5, at: T0 + 1100, attempt: 1, identity: '42@host-a' },
    { kind: 'activityCompleted', scheduledEventId: 5, at: T0 + 2000, result: plan },
    { kind: 'activityScheduled', eventId: 9, at: T0 + 2100, activity: 'syncAndExtractBaseBackup', taskQueue: 'host-a' },
    { kind: 'activityStarted', scheduledEventId: 9, at: T0 + 2200, attempt: 1, identity: '42@host-a' },
    { kind: 'activityCompleted', scheduledEventId: 9, at: T0 + 10_000, result: { objects: 3, objectsSkipped: 0, bytesFetched: 900, bytesTotal: 1000 } },
    { kind: 'activityScheduled', eventId: 13, at: T0 + 10_100, activity: 'syncWalRange', taskQueue: 'host-a' },
    // Retries leave one started event: the last attempt's, written when it ends.
    { kind: 'activityStarted', scheduledEventId: 13, at: T0 + 40_000, attempt: 4, identity: '77@host-b' },
    { kind: 'activityFailed', scheduledEventId: 13, at: T0 + 41_000, failure: { type: 'WalGap', message: 'segment missing' } },
    { kind: 'activityScheduled', eventId: 17, at: T0 + 41_100, activity: 'releaseDestination', taskQueue: 'host-a' },
    { kind: 'activityStarted', scheduledEventId: 17, at: T0 + 41_200, attempt: 1, identity: '77@host-b' },
    { kind: 'activityCompleted', scheduledEventId: 17, at: T0 + 41_300, result: undefined },
    { kind: 'workflowFailed', at: T0 + 41_400, failure: { type: 'WalGap', message: 'segment missing' } },
  ];
}

describe('restore record (from history events)', () => {
  it('times each step from scheduling to its end, with its last attempt, worker and failure', () => {
    const record = restoreRecord(failedOnWal());
    assert.equal(record.outcome, 'failed');
    assert.equal(record.durationMs, 41_400);
    assert.equal(record.startedAt, '2026-12-01T05:00:00.000Z');
    assert.deepEqual(record.failure, { type: 'WalGap', message: 'segment missing' });
    assert.deepEqual(
      record.steps.map((s) => [s.name, s.outcome, s.durationMs, s.attempts, s.worker]),
      [
        ['planRestore', 'completed', 1000, 1, '42@host-a'],
        ['syncAndExtractBaseBackup', 'completed', 7900, 1, '42@host-a'],
        ['syncWalRange', 'failed', 30_900, 4, '77@host-b'],
        ['releaseDestination', 'completed', 200, 1, '77@host-b'],
      ],
    );
    assert.deepEqual(record.steps[2]!.failure, { type: 'WalGap', message: 'segment missing' });
    assert.equal(record.plan?.backupId, plan.backupId);
    assert.equal(record.base?.objects, 3);
    assert.equal(record.wal, undefined);
    assert.equal(lastWorker(record), '77@host-b');
  });

  it('a resume reuses the completed base backup, not the failed WAL step, and always plans again', () => {
    const reuse = resumeReuse(restoreRecord(failedOnWal()));
    assert.deepEqual(reuse.baseBackup, { backupId: plan.backupId, objects: 3, bytes: 1000 });
    assert.equal(reuse.wal, undefined);
    assert.deepEqual(reuse.runsAgain, ['planRestore', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore']);
    assert.equal(reuse.reusesWork, true);
  });

  it('a cancelled restore (its clean-up completed) leaves nothing to reuse', () => {
    const events = failedOnWal().slice(0, 7);
    events.push(
      { kind: 'activityScheduled', eventId: 20, at: T0 + 11_000, activity: 'abandonRestore', taskQueue: 'host-a' },
      { kind: 'activityStarted', scheduledEventId: 20, at: T0 + 11_100, attempt: 1, identity: '42@host-a' },
      { kind: 'activityCompleted', scheduledEventId: 20, at: T0 + 12_000, result: undefined },
      { kind: 'workflowCanceled', at: T0 + 12_100 },
    );
    const record = restoreRecord(events);
    assert.equal(record.outcome, 'cancelled');
    const reuse = resumeReuse(record);
    assert.equal(reuse.reusesWork, false);
    assert.equal(reuse.baseBackup, undefined);
    assert.match(reuse.note, /cancel removed the work area/);
  });

  it('a terminated restore: the step that was running is unfinished, the reason is the failure', () => {
    const events = failedOnWal().slice(0, 9);
    events.push({ kind: 'workflowTerminated', at: T0 + 50_000, reason: 'host retired' });
    const record = restoreRecord(events);
    assert.equal(record.outcome, 'terminated');
    assert.deepEqual(record.failure, { type: 'Terminated', message: 'host retired' });
    const wal = record.steps.find((s) => s.name === 'syncWalRange')!;
    assert.equal(wal.outcome, 'unfinished');
    assert.equal(wal.durationMs, undefined);
    assert.equal(wal.attempts, 4);
  });

  it('a step no worker picked up has no worker and no attempt', () => {
    const record = restoreRecord([
      { kind: 'workflowStarted', at: T0, taskQueue: 'nobody', input },
      { kind: 'activityScheduled', eventId: 5, at: T0 + 1000, activity: 'planRestore', taskQueue: 'nobody' },
      { kind: 'workflowTerminated', at: T0 + 60_000, reason: '' },
    ]);
    assert.deepEqual(record.steps.map((s) => [s.outcome, s.attempts, s.worker]), [['unfinished', 0, undefined]]);
    assert.equal(record.failure?.message, 'terminated without a reason');
    assert.equal(lastWorker(record), undefined);
    assert.match(resumeReuse(record).note, /no transfer step completed/);
  });

  it('a completed or running restore has nothing to resume', () => {
    assert.equal(resumeReuse(restoreRecord([{ kind: 'workflowStarted', at: T0, taskQueue: 'q', input }])).reusesWork, false);
  });

  it('refuses events without a start: they are not a restore history', () => {
    assert.throws(() => restoreRecord([]), /no start event/);
  });

  it('reads the host from the default worker identity only', () => {
    assert.equal(identityHost('1234@barman-a.example'), 'barman-a.example');
    assert.equal(identityHost('worker-a'), null);
    assert.equal(identityHost('x@y'), null);
    assert.equal(identityHost(undefined), null);
  });

  it('formats durations for a person', () => {
    assert.equal(formatDuration(0), '0.0 s');
    assert.equal(formatDuration(412), '0.4 s');
    assert.equal(formatDuration(59_949), '59.9 s');
    assert.equal(formatDuration(245_000), '4 min 05 s');
    assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000), '2 h 03 min');
  });
});
