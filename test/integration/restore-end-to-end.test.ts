// End to end on the real stack: Temporal dev server, versitygw, barman-cloud backups of a real
// PostgreSQL, Barman and PostgreSQL. Each restore ends with SQL on the started, restored database.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRestore } from '../../src/cli/restore';
import { fromEpochMicros, toEpochMicros, type UtcMicros } from '../../src/core/timestamp';
import { createS3Client } from '../../src/io/s3-client';
import { listWalArchive } from '../../src/io/wal-archive';
import { workDirName } from '../../src/io/work-dir';
import { loadWorkerSettings } from '../../src/settings';
import type { RestoreInput, RestoreResult } from '../../src/shared';
import { createWorker } from '../../src/worker';
import { between, labelsUpTo, loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';

const run = promisify(execFile);

describe('point-in-time restore end to end (real Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(600_000);
  let fixture: Fixture;
  let client: Client;
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  let restoresRoot: string;
  let archiveSegments: number;
  const settings = () => loadWorkerSettings(process.env);

  before(async () => {
    const stack = requireStackEnv();
    fixture = loadFixture();
    taskQueue = `it-${randomUUID()}`;
    restoresRoot = join(REPO_ROOT, '.stack', 'restored', taskQueue);
    connection = await Connection.connect({ address: stack.temporalAddress });
    client = new TemporalClient({ connection, namespace: stack.namespace });
    nativeConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    worker = await createWorker({ ...settings(), taskQueue }, nativeConnection, stack.namespace);
    workerRun = worker.run();
    archiveSegments = (await listWalArchive(createS3Client(), fixture.bucket, fixture.prefix, fixture.server)).segments.length;
  });

  after(async () => {
    worker?.shutdown();
    await workerRun;
    await nativeConnection?.close();
    await connection?.close();
    await rm(restoresRoot, { recursive: true, force: true });
  });

  function inputFor(target: UtcMicros, destination: string): RestoreInput {
    return {
      server: fixture.server,
      bucket: fixture.bucket,
      prefix: fixture.prefix,
      targetTimeInput: target,
      targetTime: target,
      destination,
      taskQueue,
      force: false,
      timings: { retryInitialMs: 200, retryMaximumMs: 2000, heartbeatTimeoutMs: 30_000 },
    };
  }

  async function restore(target: UtcMicros): Promise<{ result: RestoreResult; markers: string[] }> {
    const destination = join(restoresRoot, randomUUID());
    const started = Date.now();
    const handle = await startRestore(client, inputFor(target, destination));
    const result: RestoreResult = await handle.result();
    const events = (await handle.fetchHistory()).events?.length;
    console.log(
      `      restore to ${target}: backup ${result.plan.backupId}, WAL fetched ${result.plan.walSegments} of ${archiveSegments} archived segments, ` +
        `${events} history events, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal(result.verify.state, 'paused');
    assert.ok(!existsSync(result.plan.workDir), 'the work area is released after a verified restore');
    return { result, markers: await queryRestoredMarkers(destination, result.plan.pgVersion) };
  }

  async function failedRestore(input: RestoreInput): Promise<{ type: string | undefined; message: string }> {
    const handle = await startRestore(client, input);
    const error = await handle.result().then(
      () => assert.fail('the restore should have failed'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    return { type: (error.cause as { type?: string }).type, message: String(error.cause?.message) };
  }

  it('restores from the newer backup a target after it, with exactly the rows committed before the target', async () => {
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const { result, markers } = await restore(target);
    assert.equal(result.plan.backupId, fixture.backups[1].id);
    assert.deepEqual(markers, labelsUpTo(fixture, target));
    assert.ok(markers.includes('after-b2-1') && !markers.includes('after-b2-2'));
    assert.ok(result.plan.walSegments < archiveSegments, 'only the WAL up to the target is fetched');
    assert.ok(result.verify.lastReplayedCommit! <= target);
  });

  it('uses the older backup for a target between the two backups', async () => {
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { result, markers } = await restore(target);
    assert.equal(result.plan.backupId, fixture.backups[0].id);
    assert.deepEqual(markers, labelsUpTo(fixture, target));
    assert.ok(markers.includes('after-b1-1') && !markers.includes('after-b1-2'));
  });

  it('uses the older backup for a target inside the newer backup\'s start-end window', async () => {
    const newer = fixture.backups[1];
    const during = fixture.markers.filter((m) => m.label.startsWith('during-b2-') && m.committedAt > utc(newer.beginTime) && m.committedAt < utc(newer.endTime));
    assert.ok(during.length >= 2, `the fixture needs two markers inside backup ${newer.id}'s window, has ${during.length}`);
    const target = between(during[0], during[1]);
    const { result, markers } = await restore(target);
    assert.equal(result.plan.backupId, fixture.backups[0].id);
    assert.deepEqual(markers, labelsUpTo(fixture, target));
    assert.ok(markers.includes(during[0].label) && !markers.includes(during[1].label));
  });

  it('refuses a target after the last archived commit before copying anything, naming the last reachable time', async () => {
    const tail = marker(fixture, 'tail');
    const target = fromEpochMicros(toEpochMicros(tail.committedAt) + 3600 * 1_000_000);
    const destination = join(restoresRoot, randomUUID());
    const { type, message } = await failedRestore(inputFor(target, destination));
    assert.equal(type, 'TargetUnreachable');
    const reachable = /latest reachable target is (\S+Z)/.exec(message);
    assert.ok(reachable, message);
    assert.ok(reachable[1] >= tail.committedAt && reachable[1] < target, `${reachable[1]} should be the last commit, at or after the tail marker`);
    assert.ok(!existsSync(destination), 'the destination is not created');
    const downloads = join(settings().workRoot, 'restores', workDirName(fixture.server, destination), 'downloads');
    assert.ok(!existsSync(downloads), 'no base backup byte was downloaded');
  });

  it('refuses a non-empty destination and leaves it untouched', async () => {
    const destination = join(restoresRoot, randomUUID());
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'precious.txt'), 'do not lose me');
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const { type, message } = await failedRestore(inputFor(target, destination));
    assert.equal(type, 'DestinationNotEmpty');
    assert.match(message, /is not empty/);
    assert.deepEqual(await readdir(destination), ['precious.txt']);
    assert.equal(await readFile(join(destination, 'precious.txt'), 'utf8'), 'do not lose me');
  });

  it('rejects a target time without a UTC offset at the command line, showing an accepted form', async () => {
    const destination = join(restoresRoot, randomUUID());
    const outcome = await run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'restore', '--server', fixture.server, '--target-time', '2026-11-24 22:08:46', '--dest', destination], {
      env: process.env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /no UTC offset/);
    assert.match(outcome.stderr, /\+00|Z"/);
    assert.ok(!existsSync(destination));
  });
});
