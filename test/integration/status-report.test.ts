// `pitr status` of a restore that has ended, on the real stack, run as a person would: a completed one shows
// its result and the time of each step from the workflow history; a failed one its failure and what
// `pitr resume` would reuse (from the history, and from the work area when it is on this host).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadWorkerSettings } from '../../src/settings';
import { restoreWorkflowId, type RestoreResult } from '../../src/shared';
import { failOnBrokenBarman, writeBarmanWrapper } from '../support/barman-wrapper';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const run = promisify(execFile);

function pitr(...args: string[]) {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: process.env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

const STEPS = ['planRestore', 'syncAndExtractBaseBackup', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore'];

describe('pitr status of an ended restore (real stack, pitr CLI)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let tools: string;

  before(async () => {
    // A barman whose rebuild-xlogdb fails while a flag file exists: a restore that fails after its transfers.
    tools = await mkdtemp(join(tmpdir(), 'pitr-status-tools-'));
    const wrapper = await writeBarmanWrapper(tools, loadWorkerSettings(requireStackEnv().env).barmanBin);
    harness = await openRestoreHarness({ settings: { barmanBin: wrapper } });
  });

  after(async () => {
    await harness?.close();
    await rm(tools, { recursive: true, force: true });
  });

  it('of a completed restore shows the backup and why, WAL, timeline, where replay stopped, destination and the time of each step', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const handle = await harness.start(harness.inputFor(target));
    const result: RestoreResult = await handle.result();
    const { plan } = result;

    const text = await pitr('status', handle.workflowId);
    assert.equal(text.code, 0, text.stderr);
    const out = text.stdout;
    assert.equal(out.split('\n')[0], `${handle.workflowId}: COMPLETED, phase Done`);
    assert.ok(out.includes(`backup ${plan.backupId} (ended ${plan.backupEndTime}): ${plan.backupReason}`), out);
    assert.ok(out.includes(`WAL ${plan.beginWal}..${plan.endWal}: ${plan.walSegments} segments`), out);
    assert.match(out, /timeline: /);
    assert.match(out, new RegExp(`PostgreSQL ${result.verify.state} at the target`));
    if (result.verify.stoppedAt) assert.ok(out.includes(result.verify.stoppedAt.description), out);
    assert.ok(out.includes(`data directory ready: ${result.destination}`), out);
    assert.match(out, /took \d+(\.\d+)? s, from \S+ to \S+ on task queue \S+/);
    for (const step of STEPS) assert.match(out, new RegExp(`^\\s+${step}\\s+completed\\s+\\d+(\\.\\d+)? s\\b`, 'm'), `a line for ${step} in:\n${out}`);

    const json = await pitr('status', handle.workflowId, '--json');
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.status, 'COMPLETED');
    assert.equal(status.phase, 'Done');
    assert.deepEqual(status.result, JSON.parse(JSON.stringify(result)));
    assert.deepEqual(
      status.steps.map((s: { name: string; outcome: string }) => [s.name, s.outcome]),
      STEPS.map((s) => [s, 'completed']),
    );
    for (const step of status.steps) {
      assert.ok(step.durationMs >= 0 && step.attempts === 1, JSON.stringify(step));
      assert.match(step.worker, /^\d+@/);
      assert.equal(step.taskQueue, harness.taskQueue);
    }
    assert.ok(status.durationMs >= status.steps.reduce((sum: number, s: { durationMs: number }) => sum + s.durationMs, 0) * 0.9);
    assert.equal(status.failure, undefined);
  });

  it('of a failed restore shows the failure, the steps done, and what pitr resume would reuse from the history and the work area', async () => {
    const { fixture, input } = await failOnBrokenBarman(harness, tools);
    const id = restoreWorkflowId(fixture.server, input.destination);
    const workDir = harness.workArea(input).root;

    const text = await pitr('status', id);
    assert.equal(text.code, 1, text.stderr);
    const out = text.stdout;
    assert.equal(out.split('\n')[0], `${id}: FAILED, phase Stage`);
    assert.match(out, /failed after \d+(\.\d+)? s, from \S+ to \S+ on task queue \S+/);
    assert.match(out, /failure BarmanFailed: barman [\d.]+ rebuild-xlogdb failed.*configuration damaged/);
    for (const step of STEPS.slice(0, 3)) assert.match(out, new RegExp(`^\\s+${step}\\s+completed\\s+\\d+(\\.\\d+)? s\\b`, 'm'), out);
    assert.match(out, /^\s+stageAndRebuildXlogdb\s+failed\s+\d+(\.\d+)? s, \d+ attempts?: BarmanFailed/m);
    assert.doesNotMatch(out, /^\s+recoverWithBarman\s/m, 'a step that never ran is not listed');
    assert.match(out, /pitr resume would reuse: the base backup \S+ \(\d+ objects?, [\d.]+ \w+\) and \d+ WAL files? \([\d.]+ \w+, \w+\.\.\w+\), as the history records them/);
    assert.ok(out.includes(`work area ${workDir} (on this host):`), out);
    assert.match(out, /downloads journal: \d+ base backup objects? \([\d.]+ \w+\) and \d+ WAL segments? \([\d.]+ \w+\); backup \S+ extracted/);
    assert.ok(out.includes(`resume with: pitr resume '${id}'`), out);

    const json = await pitr('status', id, '--json');
    assert.equal(json.code, 1, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.status, 'FAILED');
    assert.equal(status.failure.type, 'BarmanFailed');
    assert.match(status.failure.message, /rebuild-xlogdb failed/);
    assert.equal(status.result, undefined);
    const byName = Object.fromEntries(status.steps.map((s: { name: string }) => [s.name, s]));
    assert.equal(byName.stageAndRebuildXlogdb.outcome, 'failed');
    assert.equal(byName.stageAndRebuildXlogdb.failure.type, 'BarmanFailed');
    assert.equal(byName.releaseDestination.outcome, 'completed');
    const reuse = status.resume;
    assert.match(reuse.fromHistory.baseBackup.backupId, /^\d{8}T\d{6}$/);
    assert.ok(reuse.fromHistory.baseBackup.objects >= 1);
    assert.ok(reuse.fromHistory.wal.files >= 1);
    assert.equal(reuse.workArea.path, workDir);
    assert.equal(reuse.workArea.onThisHost, true);
    assert.ok(reuse.workArea.baseObjects >= reuse.fromHistory.baseBackup.objects, 'the journal records every object of the base backup');
    assert.ok(reuse.workArea.walSegments >= reuse.fromHistory.wal.files, 'and every WAL segment');
    assert.equal(reuse.workArea.extractedBackup, true);
  });
});
