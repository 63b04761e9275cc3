// A worker killed with SIGKILL while verify has PostgreSQL running on the result: the postmaster it started
// outlives it (nothing stops a detached child of a killed process). The retried verify, on a new worker,
// must find that postmaster, stop it and start its own, instead of waiting at "starting" beside it until
// the verify timeout. The worker is the real one (`node lib/src/worker.js`), its verify timeout shortened
// so that a retry stuck beside the old postmaster fails in about a minute rather than an hour.
import type { WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { requireStackEnv } from '../support/stack-env';
import { killStrayProcesses, strayProcesses, WorkerProcess } from '../support/worker-process';
import { activityAttempt, waitFor } from '../support/workflow-history';

const TIMINGS = { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 8_000 };
/** The worker's verify timeout: what a retry stuck beside the old postmaster waits before failing. */
const VERIFY_TIMEOUT_S = 60;

describe('worker killed with SIGKILL during verify, then restarted: the postmaster it left is stopped', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let worker: WorkerProcess;
  let logDir: string;
  let failed = false;
  const paths: string[] = [];

  before(async () => {
    requireStackEnv();
    harness = await openRestoreHarness({ inProcessWorker: false });
    logDir = await mkdtemp(join(tmpdir(), 'pitr-verify-crash-'));
    worker = new WorkerProcess({
      logFile: join(logDir, 'worker.log'),
      env: { ...process.env, PITR_TASK_QUEUE: harness.taskQueue, PITR_VERIFY_TIMEOUT_S: String(VERIFY_TIMEOUT_S) },
    });
    await worker.start();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async () => {
    await worker?.stop();
    const strays = await killStrayProcesses(paths);
    if (strays.length > 0) console.log(`      killed ${strays.length} stray processes: ${strays.map((s) => `${s.pid} ${s.command}`).join('; ')}`);
    await harness?.close();
    if (failed) console.log(`      worker log kept: ${join(logDir, 'worker.log')}`);
    else if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  /** The postmaster running on `destination` (`postgres -D <destination> -p PORT -k DIR ...`, not a `postgres -C` reading its settings), if any. */
  function postmasterOf(destination: string): { pid: number; command: string } | undefined {
    return strayProcesses([destination]).find((p) => /\/postgres -D .* -k /.test(p.command) && !p.command.startsWith('runuser'));
  }

  it('the retried verify stops the postmaster of the killed attempt and completes the same run', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    // Verify runs for a second or two on this small fixture: watch for its postmaster and freeze the worker
    // (SIGSTOP) the moment it is there, before the worker can stop it. A restore whose verify slips through
    // is let finish, and another one is tried.
    let caught: { handle: WorkflowHandle; runId: string; destination: string; postmaster: number } | undefined;
    for (let attempt = 1; attempt <= 3 && !caught; attempt++) {
      const destination = harness.newDestination();
      paths.push(destination, harness.workArea({ server: fixture.server, destination }).root);
      const handle = await harness.start(harness.inputFor(target, destination, { timings: TIMINGS }));
      const { runId } = await handle.describe();
      let postmaster: number | undefined;
      await waitFor('verify to start PostgreSQL on the destination', 180_000, async () => (postmaster = postmasterOf(destination)?.pid) !== undefined, 20);
      worker.pause();
      assert.equal(await pendingActivity(handle), 'verifyAndFinishRestore');
      await worker.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (postmasterOf(destination)?.pid !== postmaster) {
        console.log(`      attempt ${attempt}: verify stopped its postmaster before the worker was frozen; trying again`);
        await worker.start();
        await handle.result();
        continue;
      }
      caught = { handle, runId, destination, postmaster: postmaster! };
    }
    assert.ok(caught, 'three restores in a row stopped their postmaster before the worker could be frozen');
    const { handle, runId, destination, postmaster } = caught;

    const restarted = Date.now();
    await worker.start();
    const result: RestoreResult = await handle.result();
    const seconds = (Date.now() - restarted) / 1000;
    const description = await handle.describe();
    console.log(`      killed with postmaster ${postmaster} running; the restarted worker completed the restore in ${seconds.toFixed(1)} s`);
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.runId, runId, 'the run started before the kill is the one that completed');
    assert.equal(result.verify.state, 'paused');
    assert.ok(seconds < VERIFY_TIMEOUT_S, `the retried verify took ${seconds} s: it waited beside the old postmaster`);
    assert.ok((await activityAttempt(handle, 'verifyAndFinishRestore')) >= 2, 'verify was retried on the new worker');
    assert.deepEqual(await queryRestoredMarkers(destination, result.plan.pgVersion), labelsUpTo(fixture, target));
    const strays = await killStrayProcesses([destination, result.plan.workDir]);
    assert.deepEqual(strays, [], 'no process of the killed worker (its postmaster included) is left on the restore');
  });
});

async function pendingActivity(handle: WorkflowHandle): Promise<string | undefined> {
  const description = await handle.describe();
  return description.raw.pendingActivities?.[0]?.activityType?.name ?? undefined;
}
