// A held restore on the real stack (issue 13, item 1): pitr restore --hold leaves PostgreSQL paused at the target on
// a private port and socket; pitr advance moves the target later with only the WAL not yet fetched, restarting
// PostgreSQL so that replay goes on from where it paused; pitr finish promotes it or stops it. Each step is checked by
// SQL on the held server itself. A second suite kills the worker (SIGKILL, a separate process) while a restore is
// held: the server outlives it and the restarted worker advances it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../src/io/run-command';
import { PitrClient } from '../../src/pitr-client';
import { pgBinDir } from '../../src/settings';
import type { RestoreInput } from '../../src/shared';
import type { UtcMicros } from '../../src/core/timestamp';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { heldMarkers, MARKERS_SQL, markerLabels, queryHeld, queryRestoredCluster } from '../support/restored-cluster';
import { killStrayProcesses, WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/workflow-history';

function targetAt(utc: UtcMicros): RestoreInput['target'] {
  return { kind: 'time', utc, given: utc };
}

describe('a held restore: look at the target, advance it twice, finish with promote', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let pitr: PitrClient;
  const destinations: string[] = [];

  before(async () => {
    harness = await openRestoreHarness();
    pitr = new PitrClient(harness.client, harness.client.options.namespace);
  });

  after(async () => {
    await killStrayProcesses(destinations);
    await harness?.close();
  });

  it('holds at the first target, advances (the second time with WAL not fetched before), refuses going back, and promotes', async () => {
    const { fixture } = harness;
    const first = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const second = between(marker(fixture, 'after-b1-3'), marker(fixture, 'during-b2-1'));
    const third = between(marker(fixture, 'after-b2-2'), marker(fixture, 'after-b2-3'));
    const input = harness.inputFor(first, undefined, { hold: true });
    destinations.push(input.destination);
    const handle = await harness.start(input);

    const held = await pitr.waitUntilHeld(handle.workflowId, { pollMs: 500 });
    assert.equal(held.state, 'held');
    assert.equal(held.server.host, '127.0.0.1');
    assert.deepEqual(await heldMarkers(harness, held.server), labelsUpTo(fixture, first), 'the held server shows the rows of the first target');
    assert.equal(await queryHeld(harness, held.server, 'select pg_is_in_recovery()'), 't');
    const status = await pitr.status(handle.workflowId);
    assert.equal(status.phase, 'Held');
    assert.equal(status.held?.server.port, held.server.port, 'pitr status shows where to connect');

    const advanced = await pitr.advance(handle.workflowId, targetAt(second));
    assert.deepEqual(await heldMarkers(harness, advanced.server), labelsUpTo(fixture, second), 'after the first advance');
    assert.equal(advanced.plan.backupId, held.plan.backupId, 'same backup: no new base backup');
    console.log(`      advance 1: WAL ${advanced.plan.beginWal}..${advanced.plan.endWal}, ${advanced.wal.objects} files, ${advanced.wal.objectsSkipped} already on disk, ${advanced.wal.bytesFetched} bytes fetched`);

    await assert.rejects(pitr.advance(handle.workflowId, targetAt(first)), (err: Error) => {
      assert.match(err.message, /is not later than the held target .*replay only goes forward.*pitr restore/);
      return true;
    });

    const again = await pitr.advance(handle.workflowId, targetAt(third));
    console.log(`      advance 2: WAL ${again.plan.beginWal}..${again.plan.endWal}, ${again.wal.objects} files, ${again.wal.objectsSkipped} already on disk, ${again.wal.bytesFetched} bytes fetched`);
    assert.ok(again.plan.endWal > advanced.plan.endWal, `the third target needs WAL past ${advanced.plan.endWal} (${again.plan.endWal})`);
    assert.ok(again.wal.bytesFetched > 0 && again.wal.objectsSkipped > 0, 'the second advance fetched WAL not fetched before, and kept what was on disk');
    assert.deepEqual(await heldMarkers(harness, again.server), labelsUpTo(fixture, third), 'after the second advance');

    const result = await pitr.finish(handle.workflowId, 'promote');
    assert.equal(result.finishedWith, 'promote');
    assert.equal(result.verify.state, 'promoted');
    assert.equal(result.verify.timeline, 2, 'the promotion started timeline 2');
    assert.equal(result.advances?.length, 2);
    const [rows, inRecovery] = await queryRestoredCluster(input.destination, fixture.pgMajor, [MARKERS_SQL, 'select pg_is_in_recovery()']);
    assert.deepEqual(markerLabels(rows!), labelsUpTo(fixture, third));
    assert.equal(inRecovery, 'f', 'promoted: the copy accepts writes');
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
  });

  it('a cancelled held restore stops its PostgreSQL and removes what it wrote, as any cancel', async () => {
    const { fixture } = harness;
    const input = harness.inputFor(between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2')), undefined, { hold: true });
    destinations.push(input.destination);
    const handle = await harness.start(input);
    const held = await pitr.waitUntilHeld(handle.workflowId, { pollMs: 500 });
    const { status } = await pitr.cancel(handle.workflowId, { wait: true });
    assert.equal(status, 'CANCELLED');
    await assert.rejects(queryHeld(harness, held.server, 'select 1'), 'the held server is stopped');
    assert.deepEqual(await killStrayProcesses([input.destination]), [], 'no process is left on the destination');
    assert.equal(existsSync(input.destination), false, 'the destination the restore created is removed');
  });
});

describe('a held restore survives a worker killed with SIGKILL and a stopped server, and advances after the restart', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let pitr: PitrClient;
  let worker: WorkerProcess;
  let logDir: string;
  const destinations: string[] = [];

  before(async () => {
    harness = await openRestoreHarness({ inProcessWorker: false });
    pitr = new PitrClient(harness.client, harness.client.options.namespace);
    logDir = await mkdtemp(join(tmpdir(), 'pitr-held-'));
    worker = new WorkerProcess({ logFile: join(logDir, 'worker.log'), env: { ...process.env, PITR_TASK_QUEUE: harness.taskQueue } });
    await worker.start();
  });

  after(async () => {
    await worker?.stop();
    await killStrayProcesses(destinations);
    await harness?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('keeps PostgreSQL paused at the target while no worker runs; the new worker starts it again when it stops, advances it, then stops it paused', async () => {
    const { fixture } = harness;
    const first = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const second = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const input = harness.inputFor(first, undefined, { hold: true, timings: { retryInitialMs: 200, retryMaximumMs: 2000, heartbeatTimeoutMs: 8000 } });
    destinations.push(input.destination);
    const handle = await harness.start(input);
    const held = await pitr.waitUntilHeld(handle.workflowId, { pollMs: 500 });

    await worker.kill('SIGKILL');
    assert.deepEqual(await heldMarkers(harness, held.server), labelsUpTo(fixture, first), 'the held server outlives the worker');
    await worker.start();

    // As after a host restart: the server is gone. The restarted worker's keeper starts it again from the directory.
    await runCommand(join(pgBinDir(harness.settings, fixture.pgMajor), 'pg_ctl'), ['-D', input.destination, '-m', 'fast', '-w', 'stop'], { asUser: held.server.user });
    await waitFor('the held restore to report a server started again', 120_000, async () => {
      const now = await pitr.held(handle.workflowId);
      return now !== null && now.state === 'held' && now.server.socketDir !== held.server.socketDir;
    });
    const restarted = (await pitr.held(handle.workflowId))!;
    assert.deepEqual(await heldMarkers(harness, restarted.server), labelsUpTo(fixture, first), 'started again from the directory, paused at the same target');
    assert.equal(restarted.verify.stoppedAt.lsn, held.verify.stoppedAt.lsn, 'its stop proved again, at the same LSN');

    const advanced = await pitr.advance(handle.workflowId, targetAt(second));
    assert.deepEqual(await heldMarkers(harness, advanced.server), labelsUpTo(fixture, second));
    const result = await pitr.finish(handle.workflowId, 'stop');
    assert.equal(result.finishedWith, 'stop');
    assert.equal(result.verify.state, 'paused');
    // Stopped paused at the new target, as a plain restore leaves it: started again, it pauses there.
    const [rows, paused] = await queryRestoredCluster(input.destination, fixture.pgMajor, [MARKERS_SQL, 'select pg_get_wal_replay_pause_state()']);
    assert.deepEqual(markerLabels(rows!), labelsUpTo(fixture, second));
    assert.equal(paused, 'paused');
  });
});
