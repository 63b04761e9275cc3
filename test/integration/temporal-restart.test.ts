// The Temporal server stopped and started again (same db file, same port) in the middle of a
// restore's base download: the restore must complete, with the worker and the client reconnecting.
// A private dev server is used, so that the shared stack's server (and every other suite) is never
// disturbed; the worker is the real one in a child process, its S3 traffic slowed by our proxy.
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRestore } from '../../src/pitr-client';
import { readRestoreStatus } from '../../src/cli/restore-status';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { startS3FaultProxy, type S3FaultProxy } from '../support/s3-fault-proxy';
import { requireStackEnv } from '../support/stack-env';
import { createTemporalDevServer, type TemporalDevServer } from '../support/temporal-dev-server';
import { killStrayProcesses, WorkerProcess } from '../support/worker-process';
import { activityAttempt, sleep, waitFor } from '../support/workflow-history';

const TIMINGS = { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 8_000 };

describe('Temporal server restarted mid-restore (private dev server, same db file)', function () {
  this.timeout(240_000);
  let server: TemporalDevServer;
  let proxy: S3FaultProxy;
  let harness: RestoreHarness;
  let connection: Connection;
  let worker: WorkerProcess;
  let logDir: string;
  let failed = false;
  const cleanupPaths: string[] = [];

  before(async () => {
    requireStackEnv();
    server = await createTemporalDevServer();
    const t0 = Date.now();
    await server.start();
    console.log(`      private dev server on ${server.address} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    proxy = await startS3FaultProxy({ seed: 8 });
    // The harness serves the fixture, inputs and destinations; its client (on the shared server) stays unused.
    harness = await openRestoreHarness({ inProcessWorker: false });
    connection = await Connection.connect({ address: server.address });
    logDir = await mkdtemp(join(tmpdir(), 'pitr-temporal-restart-'));
    worker = new WorkerProcess({
      logFile: join(logDir, 'worker.log'),
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: 'default',
        PITR_TASK_QUEUE: harness.taskQueue,
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
        PITR_PART_SIZE_MB: '1',
        PITR_PART_CONCURRENCY: '2',
      },
    });
    await worker.start();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async () => {
    await worker?.stop();
    const strays = await killStrayProcesses(cleanupPaths);
    if (strays.length > 0) console.log(`      killed ${strays.length} stray processes: ${strays.map((s) => `${s.pid} ${s.command}`).join('; ')}`);
    for (const path of cleanupPaths) await rm(path, { recursive: true, force: true });
    await connection?.close();
    await harness?.close();
    await proxy?.stop();
    if (failed && server) console.log(`      kept for inspection: ${logDir}/worker.log, ${server.logFile}`);
    await server?.stop();
    if (!failed) {
      await server?.destroy();
      if (logDir) await rm(logDir, { recursive: true, force: true });
    }
  });

  it('completes a restore whose Temporal server was stopped (SIGTERM) and started again during the base download', async () => {
    const { fixture } = harness;
    const client = new Client({ connection, namespace: 'default' });
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const destination = harness.newDestination();
    cleanupPaths.push(destination, harness.workArea({ server: fixture.server, destination }).root);
    // ~5.6 MB at 400 kB/s: the base download takes about fourteen seconds.
    proxy.set({ bytesPerSecond: 400_000 });
    const started = Date.now();
    const handle = await startRestore(client, harness.inputFor(target, destination, { timings: TIMINGS }));
    const { runId } = await handle.describe();

    await waitFor('syncAndExtractBaseBackup heartbeating bytes', 60_000, async () => {
      const status = await readRestoreStatus(handle);
      return status.phase === 'SyncBase' && (status.progress?.bytesDone ?? 0) > 0;
    });
    const before = await readRestoreStatus(handle);
    const stoppedAt = Date.now();
    await server.stop();
    const stoppedFor = Date.now() - stoppedAt;
    const baseBytesAtStop = objectBytes(proxy, 'data.tar.gz');
    assert.ok(!server.running);
    await assert.rejects(
      connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({})),
      'the server is really unreachable while stopped',
    );
    // Keep it down for a moment while the worker keeps downloading (its heartbeats and polls now fail).
    await sleep(3_000);
    const bytesWhileDown = proxy.counters.bytesForwarded;
    await server.start();
    const downMs = Date.now() - stoppedAt;
    proxy.set({ bytesPerSecond: 0 });

    // The worker may give up when the server vanishes: if it exits, start it again (and report it).
    let watching = true;
    const workerExits: string[] = [];
    const watchdog = (async () => {
      while (watching) {
        if (!worker.running) {
          const exit = worker.exits.at(-1);
          workerExits.push(`code ${exit?.code} signal ${exit?.signal}`);
          await worker.start();
        }
        await sleep(500);
      }
    })();
    let result: RestoreResult;
    let clientRetries = 0;
    try {
      ({ result, retries: clientRetries } = await resultAcrossOutages(handle, 150_000));
    } finally {
      watching = false;
      await watchdog;
    }
    const seconds = (Date.now() - started) / 1000;
    const description = await handle.describe();
    console.log(
      `      server stopped at ${(stoppedAt - started) / 1000} s (phase ${before.phase}, heartbeat bytesDone ${before.progress?.bytesDone} of ${before.progress?.bytesTotal}), ` +
        `${baseBytesAtStop} bytes of data.tar.gz sent, SIGTERM took ${stoppedFor} ms, down ${(downMs / 1000).toFixed(1)} s in all (proxy had sent ${bytesWhileDown} bytes by the restart); ` +
        `restore completed in ${seconds.toFixed(1)} s; worker exits: ${workerExits.length ? workerExits.join(', ') : 'none (it reconnected by itself)'}; ` +
        `client result() retries: ${clientRetries}; base.bytesFetched ${result.base.bytesFetched} of ${result.base.bytesTotal}; ` +
        `syncAndExtractBaseBackup attempts: ${await activityAttempt(handle, 'syncAndExtractBaseBackup')}`,
    );
    assert.ok(baseBytesAtStop > 0 && baseBytesAtStop < result.base.bytesTotal, `the server stopped in the middle of the base download (${baseBytesAtStop} bytes of it sent)`);
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.runId, runId, 'the run started before the restart is the one that completed');
    assert.equal(result.verify.state, 'paused');
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), labelsUpTo(fixture, target));
    assert.deepEqual(await killStrayProcesses([result.destination, result.plan.workDir]), [], 'no process is left on the restore');
  });
});

/** handle.result(), retried while the server is unreachable (the gRPC channel reconnects underneath). */
async function resultAcrossOutages(handle: WorkflowHandle, timeoutMs: number): Promise<{ result: RestoreResult; retries: number }> {
  const deadline = Date.now() + timeoutMs;
  let retries = 0;
  for (;;) {
    try {
      return { result: (await handle.result()) as RestoreResult, retries };
    } catch (err) {
      if (err instanceof WorkflowFailedError || Date.now() > deadline) throw err;
      retries++;
      await sleep(1_000);
    }
  }
}

/** Response body bytes the proxy sent for an object's GETs. */
function objectBytes(proxy: S3FaultProxy, name: string): number {
  return proxy.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0].endsWith(`/${name}`)).reduce((sum, r) => sum + r.bytes, 0);
}



