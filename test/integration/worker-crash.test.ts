// A worker killed with SIGKILL in the middle of a restore (no shutdown, no cleanup: a crashed host),
// then a new worker process on the same task queue: the same workflow run must finish correctly,
// reusing what the dead worker completed on disk. The worker is the real one (`node lib/src/worker.js`)
// with its S3 traffic through our proxy, which slows the download enough to kill it half-way.
import type { WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readRestoreStatus } from '../../src/cli/restore-status';
import type { UtcMicros } from '../../src/core/timestamp';
import { backupDir, type WorkDirLayout } from '../../src/io/work-dir';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { startS3FaultProxy, type S3FaultProxy } from '../support/s3-fault-proxy';
import { requireStackEnv } from '../support/stack-env';
import { killStrayProcesses, WorkerProcess } from '../support/worker-process';
import { activityAttempt, waitFor } from '../support/workflow-history';

const PART_SIZE = 1024 * 1024;
/** Entries the extraction has written when the worker is killed (the base holds about a thousand). */
const EXTRACTED_BEFORE_KILL = 100;
/**
 * Heartbeat timeout: how fast the server notices the dead worker. Above the activities' 5 s heartbeat
 * timer, so that quiet steps (barman recover) never time out on a live worker.
 */
const TIMINGS = { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 8_000 };

describe('worker killed with SIGKILL mid-restore, then restarted: the same restore completes', function () {
  this.timeout(240_000);
  let proxy: S3FaultProxy;
  let harness: RestoreHarness;
  let worker: WorkerProcess;
  let logDir: string;
  let failed = false;
  const workDirs: string[] = [];
  const destinations: string[] = [];

  before(async () => {
    requireStackEnv();
    proxy = await startS3FaultProxy({ seed: 42 });
    harness = await openRestoreHarness({ inProcessWorker: false });
    logDir = await mkdtemp(join(tmpdir(), 'pitr-worker-crash-'));
    worker = new WorkerProcess({
      logFile: join(logDir, 'worker.log'),
      env: {
        ...process.env,
        PITR_TASK_QUEUE: harness.taskQueue,
        AWS_ENDPOINT_URL: proxy.endpoint,
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
        // 1 MiB ranged GETs, two at a time: the ~5.6 MB base is fetched the way a multi-GB one is with the
        // default 16 MiB parts, so a kill half-way leaves completed parts on disk to resume from.
        PITR_PART_SIZE_MB: String(PART_SIZE / 1024 / 1024),
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
    // A SIGKILLed worker leaves its children (postgres, barman, pg_waldump) running: none may survive the suite.
    const strays = await killStrayProcesses([...destinations, ...workDirs]);
    if (strays.length > 0) console.log(`      killed ${strays.length} stray processes: ${strays.map((s) => `${s.pid} ${s.command}`).join('; ')}`);
    for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
    await harness?.close();
    await proxy?.stop();
    if (failed) console.log(`      worker log kept: ${join(logDir, 'worker.log')}`);
    else if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  function start(target: UtcMicros): { destination: string; layout: WorkDirLayout; handle: Promise<WorkflowHandle> } {
    const destination = harness.newDestination();
    const layout = harness.workArea({ server: harness.fixture.server, destination });
    workDirs.push(layout.root);
    destinations.push(destination);
    return { destination, layout, handle: harness.start(harness.inputFor(target, destination, { timings: TIMINGS })) };
  }

  async function finish(handle: WorkflowHandle, runId: string, target: UtcMicros): Promise<RestoreResult> {
    const result: RestoreResult = await handle.result();
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.runId, runId, 'the run started before the kill is the one that completed (no new run)');
    assert.equal(result.verify.state, 'paused');
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), labelsUpTo(harness.fixture, target));
    // Stray children of the killed worker, e.g. a postgres still holding the destination, would be a leak.
    const strays = await killStrayProcesses([result.destination, result.plan.workDir]);
    assert.deepEqual(strays, [], 'no process of the killed worker is left on the restore');
    return result;
  }

  it('killed during the base download: the new worker fetches only the parts not yet on disk', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const backupId = fixture.backups[1].id;
    // ~5.6 MB at 500 kB/s: the base download takes about eleven seconds.
    proxy.set({ bytesPerSecond: 500_000 });
    const started = Date.now();
    const restore = start(target);
    const handle = await restore.handle;
    const { runId } = await handle.describe();
    const sidecar = join(restore.layout.downloads, backupId, 'data.tar.gz.part.json');

    // Kill once the server shows the base step running with bytes done, and at least two parts are on disk.
    let heartbeatBytes = 0;
    await waitFor('syncAndExtractBaseBackup heartbeating bytes with two parts on disk', 60_000, async () => {
      const pending = await pendingActivity(handle);
      if (pending !== 'syncAndExtractBaseBackup') return false;
      const status = await readRestoreStatus(handle);
      heartbeatBytes = status.progress?.bytesDone ?? 0;
      return status.phase === 'SyncBase' && heartbeatBytes > 0 && partsOnDisk(sidecar).length >= 2;
    });
    worker.pause();
    const savedParts = partsOnDisk(sidecar);
    const size = objectSize(sidecar);
    const savedBytes = savedParts.reduce((sum, part) => sum + Math.min(PART_SIZE, size - part * PART_SIZE), 0);
    const bytesBeforeKill = objectBytes(proxy, 'data.tar.gz');
    const killedAt = Date.now();
    await worker.kill('SIGKILL');
    assert.ok(!existsSync(join(restore.layout.downloads, backupId, 'data.tar.gz')), 'the kill came before the base download completed');

    proxy.set({ bytesPerSecond: 0 });
    await worker.start();
    const result = await finish(handle, runId, target);
    const seconds = (Date.now() - started) / 1000;
    const refetched = proxy.requests.filter((r) => r.at > killedAt && r.url.includes('/data.tar.gz') && r.method === 'GET');
    console.log(
      `      killed at ${(killedAt - started) / 1000} s with heartbeat bytesDone ${heartbeatBytes}, parts ${savedParts.join(',')} (${savedBytes} bytes) on disk, ` +
        `${bytesBeforeKill} bytes of data.tar.gz received before the kill; after the restart: base.bytesFetched ${result.base.bytesFetched} of base.bytesTotal ${result.base.bytesTotal} ` +
        `(${refetched.length} ranged GETs: ${refetched.map((r) => r.range).join(', ')}); restore ${seconds.toFixed(1)} s`,
    );
    assert.ok(result.base.bytesFetched < result.base.bytesTotal, 'fewer bytes fetched after the restart than the total');
    assert.ok(result.base.bytesFetched <= result.base.bytesTotal - savedBytes, 'the parts completed before the kill were not fetched again');
    for (const part of savedParts) {
      const range = `bytes=${part * PART_SIZE}-`;
      assert.ok(!refetched.some((r) => r.range?.startsWith(range)), `part ${part} (on disk before the kill) was requested again`);
    }
    assert.ok((await activityAttempt(handle, 'syncAndExtractBaseBackup')) >= 2, 'the base step was retried on the new worker');
  });

  it('killed once the base is on disk but not yet extracted: the new worker extracts again, without downloading it again', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-2'), marker(fixture, 'after-b2-3'));
    const backupId = fixture.backups[1].id;
    proxy.set({ bytesPerSecond: 0 });

    // The extraction trails the download by a fraction of a second on this small base: watch the disk and
    // freeze the worker (SIGSTOP) the moment every part is down while the extraction is still writing. A
    // restore whose extraction finishes before that moment is let run to its end, and another one is tried.
    let caught: { started: number; restore: ReturnType<typeof start>; handle: WorkflowHandle; runId: string; partialDir: string } | undefined;
    for (let attempt = 1; attempt <= 3 && !caught; attempt++) {
      const started = Date.now();
      const restore = start(target);
      const handle = await restore.handle;
      const { runId } = await handle.describe();
      const finalDir = join(backupDir(restore.layout, fixture.server, backupId), 'data');
      const partialDir = `${finalDir}.extracting`;
      const tarball = join(restore.layout.downloads, backupId, 'data.tar.gz');
      const sidecar = `${tarball}.part.json`;
      let missed = false;
      await waitFor('the download complete and the extraction under way', 60_000, async () => {
        if (existsSync(finalDir) || existsSync(restore.destination)) return (missed = true);
        const parts = readSidecar(sidecar);
        const downloaded = existsSync(tarball) || (parts?.size !== undefined && parts.done?.length === Math.ceil(parts.size / PART_SIZE));
        return downloaded && countEntries(partialDir, EXTRACTED_BEFORE_KILL) >= EXTRACTED_BEFORE_KILL;
      }, 2);
      if (missed) {
        console.log(`      attempt ${attempt}: the extraction finished before the worker could be stopped; trying again`);
        await finish(handle, runId, target);
        continue;
      }
      worker.pause();
      caught = { started, restore, handle, runId, partialDir };
    }
    assert.ok(caught, 'three restores in a row finished their extraction before the worker could be stopped');
    const { started, handle, runId, partialDir } = caught;
    const finalDir = partialDir.replace(/\.extracting$/, '');
    const entriesAtKill = countEntries(partialDir, 100_000);
    const extractedBefore = existsSync(finalDir);
    const pending = await pendingActivity(handle);
    const phase = (await readRestoreStatus(handle)).phase;
    const killedAt = Date.now();
    await worker.kill('SIGKILL');
    console.log(`      killed at ${(killedAt - started) / 1000} s: phase ${phase}, pending activity ${pending}, ${entriesAtKill} entries extracted so far`);
    assert.equal(pending, 'syncAndExtractBaseBackup');
    assert.equal(phase, 'SyncBase');
    assert.ok(!extractedBefore, 'the kill came before the extraction completed');
    assert.ok(entriesAtKill > 0);

    await worker.start();
    const result = await finish(handle, runId, target);
    const base = proxy.requests.filter((r) => r.at > killedAt && r.url.includes('/data.tar.gz') && r.method === 'GET');
    console.log(
      `      restore ${((Date.now() - started) / 1000).toFixed(1)} s; base.bytesFetched ${result.base.bytesFetched} of ${result.base.bytesTotal} (all before the kill); ` +
        `base GETs after the kill: ${base.length}; syncAndExtractBaseBackup attempts: ${await activityAttempt(handle, 'syncAndExtractBaseBackup')}`,
    );
    assert.equal(base.length, 0, 'the base backup was not downloaded again');
    assert.ok((await activityAttempt(handle, 'syncAndExtractBaseBackup')) >= 2, 'the base step was retried on the new worker');
    assert.ok(!existsSync(partialDir), 'no partial extraction is left');
  });
});

async function pendingActivity(handle: WorkflowHandle): Promise<string | undefined> {
  const description = await handle.describe();
  return description.raw.pendingActivities?.[0]?.activityType?.name ?? undefined;
}


/** Parts of a ranged download listed as complete in its sidecar (the engine's record of what is on disk). */
function partsOnDisk(sidecar: string): number[] {
  return readSidecar(sidecar)?.done ?? [];
}

function objectSize(sidecar: string): number {
  const size = readSidecar(sidecar)?.size;
  if (typeof size !== 'number') throw new Error(`no object size in ${sidecar}`);
  return size;
}

function readSidecar(sidecar: string): { done?: number[]; size?: number } | undefined {
  try {
    return JSON.parse(readFileSync(sidecar, 'utf8')) as { done?: number[]; size?: number };
  } catch {
    return undefined;
  }
}

/** Response body bytes the proxy sent for an object's GETs. */
function objectBytes(proxy: S3FaultProxy, name: string): number {
  return proxy.requests.filter((r) => r.method === 'GET' && basename(r.url.split('?')[0]) === name).reduce((sum, r) => sum + r.bytes, 0);
}

/** Files and directories under `dir`, counting stops at `limit`. */
function countEntries(dir: string, limit: number): number {
  let count = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (count >= limit) return;
      count++;
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return count;
}

