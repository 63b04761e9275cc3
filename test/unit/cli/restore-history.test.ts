// The recorded histories of real restores (test/replay/histories), decoded and summarised as `pitr status`
// does for an ended restore.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { recordedEvents, summarise } from '../../../src/cli/restore-history';
import { endedRestoreReport, formatEndedReport } from '../../../src/cli/restore-report';
import { restoreRecord } from '../../../src/core/restore-record';
import type { RestoreStatus } from '../../../src/cli/restore-status';
import { REPO_ROOT } from '../../support/stack-env';

function recorded(kind: string) {
  return restoreRecord(recordedEvents(historyFromJSON(JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'replay', 'histories', `restore-${kind}.json`), 'utf8')))));
}

const STEPS = ['planRestore', 'syncAndExtractBaseBackup', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore'];

function statusOf(status: string, phase: string): RestoreStatus {
  return { id: 'pitr:pg:/srv/pg', runId: 'r', status, phase, backupId: null, progress: null, attempt: null, lastFailure: null };
}

describe('ended restores from recorded histories', () => {
  it('completed: the result, and every step with its time and worker', async () => {
    const record = recorded('ok');
    assert.equal(record.outcome, 'completed');
    assert.deepEqual(record.steps.map((s) => [s.name, s.outcome, s.attempts]), STEPS.map((s) => [s, 'completed', 1]));
    assert.ok(record.steps.every((s) => s.durationMs! > 0 && /^\d+@/.test(s.worker!)));
    assert.ok(record.result?.plan.backupId);
    assert.equal(record.result?.plan.backupId, record.plan?.backupId);
    assert.ok(record.durationMs! >= record.steps.reduce((sum, s) => sum + s.durationMs!, 0));

    const report = await endedRestoreReport(statusOf('COMPLETED', 'Done'), record, { localHost: 'elsewhere' });
    assert.equal(report.resume, undefined, 'nothing to resume');
    const text = formatEndedReport(report);
    assert.match(text, /^pitr:pg:\/srv\/pg: COMPLETED, phase Done\nrestore completed: /);
    assert.ok(text.includes(`backup ${record.result!.plan.backupId} (ended `), text);
    assert.match(text, /took \d+\.\d s, from \S+ to \S+ on task queue record-\d+/);
    assert.match(text, /^ {4}planRestore {15}completed {2}\d+\.\d s {2}\(worker \d+@\S+\)$/m);
    assert.match(text, /^ {4}syncWalRange {14}completed {2}\d+\.\d s$/m, 'the same worker is not named again');
  });

  it('refused as unreachable: the failure type and message, the plan step failed, nothing transferred', async () => {
    const record = recorded('unreachable');
    assert.equal(record.outcome, 'failed');
    assert.equal(record.failure?.type, 'TargetUnreachable');
    assert.match(record.failure!.message, /cannot be reached from backup/);
    assert.deepEqual(record.steps.map((s) => [s.name, s.outcome]), [['planRestore', 'failed'], ['releaseDestination', 'completed']]);
    assert.equal(record.steps[0]!.failure?.type, 'TargetUnreachable');

    // The worker ran on another host: the work area is not read from here, and its path is unknown (no plan).
    const report = await endedRestoreReport(statusOf('FAILED', 'Plan'), record, { localHost: 'elsewhere', localWorkRoot: '/nonexistent' });
    assert.equal(report.resume?.fromHistory.baseBackup, undefined);
    assert.equal(report.resume?.workArea, undefined);
    const text = formatEndedReport(report);
    assert.match(text, /failed after \d+\.\d s/);
    assert.match(text, /failure TargetUnreachable: target \S+ cannot be reached/);
    assert.match(text, /planRestore +failed +\d+\.\d s, 1 attempt: TargetUnreachable/);
    assert.match(text, /pitr resume would reuse: no transfer step completed/);
    assert.match(text, /resume with: pitr resume 'pitr:pg:\/srv\/pg'/);
  });

  it('cancelled: the clean-up step, and a resume that starts over', async () => {
    const record = recorded('cancelled');
    assert.equal(record.outcome, 'cancelled');
    assert.equal(record.steps.at(-1)?.name, 'abandonRestore');
    assert.equal(record.steps.at(-1)?.outcome, 'completed');
    const text = formatEndedReport(await endedRestoreReport(statusOf('CANCELLED', 'Cancel'), record, { localHost: 'elsewhere' }));
    assert.match(text, /cancelled after \d+\.\d s/);
    assert.match(text, /pitr resume would reuse: the cancel removed the work area/);
  });
});

describe('failure summaries from the history', () => {
  it("skips wrappers to the activity's own typed failure", () => {
    const failure = { message: 'Activity task failed', activityFailureInfo: {}, cause: { message: 'disk full at /x', applicationFailureInfo: { type: 'InsufficientSpace' } } };
    assert.deepEqual(summarise(failure), { type: 'InsufficientSpace', message: 'disk full at /x' });
  });

  it('names a timeout and a cancellation, and keeps the message of a failure without a type', () => {
    assert.deepEqual(summarise({ message: 'activity Heartbeat timeout', timeoutFailureInfo: {} }), { type: 'Timeout', message: 'activity Heartbeat timeout' });
    assert.deepEqual(summarise({ message: '', canceledFailureInfo: {} }), { type: 'Cancelled', message: 'cancelled' });
    assert.deepEqual(summarise({ message: 'something odd' }), { type: null, message: 'something odd' });
    assert.deepEqual(summarise(undefined), { type: null, message: 'no failure recorded' });
  });
});
