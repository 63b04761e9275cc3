// A worker killed with SIGKILL while barman recover runs: barman, in a process group of its own, outlives it
// and would go on writing into the destination beside the retried recover. The retried attempt, on a new
// worker, stops the commands the killed one left (found by the restore's own Barman configuration file)
// before it takes the destination. The barman here is the stack's real one behind a wrapper whose recover
// first sleeps 60 s while a flag file exists, a window in which the worker is killed.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { loadWorkerSettings } from '../../src/settings';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { requireStackEnv } from '../support/stack-env';
import { killStrayProcesses, strayProcesses, WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/workflow-history';

const TIMINGS = { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 8_000 };

describe('worker killed with SIGKILL during barman recover, then restarted: the barman it left is stopped', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let tools: string;
  let wrapper: string;
  const workers: WorkerProcess[] = [];

  const startWorker = async () => {
    const worker = new WorkerProcess({
      logFile: join(tools, `worker-${workers.length + 1}.log`),
      env: { ...process.env, PITR_TASK_QUEUE: harness.taskQueue, PITR_BARMAN_BIN: wrapper },
    });
    workers.push(worker);
    await worker.start();
    return worker;
  };

  before(async () => {
    harness = await openRestoreHarness({ inProcessWorker: false });
    tools = await mkdtemp(join(tmpdir(), 'pitr-recover-crash-'));
    wrapper = join(tools, 'barman');
    const real = loadWorkerSettings(requireStackEnv().env).barmanBin;
    await writeFile(
      wrapper,
      ['#!/bin/bash', `if [[ -e ${JSON.stringify(join(tools, 'slow'))} && " $* " == *" recover "* ]]; then sleep 60; fi`, `exec ${JSON.stringify(real)} "$@"`, ''].join('\n'),
    );
    await chmod(wrapper, 0o755);
  });

  after(async () => {
    for (const worker of workers) await worker.stop();
    await killStrayProcesses([wrapper]);
    await harness?.close();
    await rm(tools, { recursive: true, force: true });
  });

  it('the retried recover stops the killed attempt\'s barman before it takes the destination, and completes the same run', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const input = harness.inputFor(target, undefined, { timings: TIMINGS });
    const first = await startWorker();
    await writeFile(join(tools, 'slow'), '');
    const handle = await harness.start(input);
    const { runId } = await handle.describe();
    const left = () => strayProcesses([harness.workArea(input).barmanConfig]);
    await waitFor('barman recover to run', 180_000, async () => (await readRestoreStatus(handle)).phase === 'Recover' && left().length > 0);
    await first.kill('SIGKILL');
    const orphans = left();
    assert.ok(orphans.length > 0, 'the killed worker left its barman running');
    await rm(join(tools, 'slow'));
    await startWorker();
    const result: RestoreResult = await handle.result();
    assert.equal((await handle.describe()).runId, runId, 'the same run completed');
    assert.deepEqual(left(), [], `the killed attempt's barman was stopped: ${orphans.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
    assert.deepEqual(await queryRestoredMarkers(input.destination, result.plan.pgVersion), labelsUpTo(fixture, target));
  });
});
