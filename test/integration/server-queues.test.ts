// Several Barman hosts, one control plane: two real worker processes, each polling its own task queue with its
// own work area (two "hosts"), and the pitr CLI with PITR_SERVER_QUEUES naming which queue serves which
// server. A restore of `pg` must run on host A's worker and one of another fixture server on host B's, without
// --task-queue; an explicit --task-queue still wins; a bad mapping is refused before anything starts.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, loadFixture, marker, type Fixture } from '../support/fixture';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';
import { killStrayProcesses, WorkerProcess } from '../support/worker-process';

const run = promisify(execFile);

function pitr(args: string[], env: Record<string, string | undefined>) {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

interface Host {
  queue: string;
  workRoot: string;
  worker: WorkerProcess;
}

describe('several Barman hosts, one control plane: PITR_SERVER_QUEUES (real stack, two worker processes)', function () {
  this.timeout(300_000);
  const id = randomUUID().slice(0, 8);
  // Inside .stack, whose folders the Barman user can traverse (a mkdtemp folder is private to root).
  const root = join(REPO_ROOT, '.stack', 'queues', id);
  const destinations = join(REPO_ROOT, '.stack', 'restored', `queues-${id}`);
  let logDir: string;
  let connection: Connection;
  let client: Client;
  let hostA: Host;
  let hostB: Host;
  let pg: Fixture;
  let other: Fixture;
  let cliEnv: Record<string, string>;
  const started: WorkflowHandle[] = [];

  before(async () => {
    const stack = requireStackEnv();
    pg = loadFixture('pg');
    other = loadFixture('c319-lz4-zstd-15');
    logDir = await mkdtemp(join(tmpdir(), 'pitr-queues-'));
    connection = await Connection.connect({ address: stack.temporalAddress });
    client = new Client({ connection, namespace: stack.namespace });
    const mapping = `${pg.server}=queues-${id}-a, ${other.server}=queues-${id}-b`;
    const host = async (name: string): Promise<Host> => {
      const queue = `queues-${id}-${name}`;
      const workRoot = join(root, `host-${name}`);
      await mkdir(workRoot, { recursive: true });
      // The workers read the same settings (the mapping included) as the CLI, as with one shared settings file.
      const worker = new WorkerProcess({ logFile: join(logDir, `worker-${name}.log`), env: { ...process.env, PITR_TASK_QUEUE: queue, PITR_BARMAN_HOME: workRoot, PITR_SERVER_QUEUES: mapping } });
      await worker.start();
      return { queue, workRoot, worker };
    };
    [hostA, hostB] = await Promise.all([host('a'), host('b')]);
    // The CLI's own default queue is polled by no worker: a restore the mapping did not route would never run.
    cliEnv = { PITR_SERVER_QUEUES: mapping, PITR_TASK_QUEUE: `queues-${id}-nobody` };
  });

  after(async () => {
    for (const handle of started) await handle.terminate('server-queues test cleanup').catch(() => undefined);
    await Promise.all([hostA?.worker.stop(), hostB?.worker.stop()]);
    await killStrayProcesses([root, destinations]);
    await connection?.close();
    await rm(root, { recursive: true, force: true });
    await rmdir(join(REPO_ROOT, '.stack', 'queues')).catch(() => undefined); // only once no other run uses it
    await rm(destinations, { recursive: true, force: true });
    await rm(logDir, { recursive: true, force: true });
  });

  /** Starts a restore with the CLI (no --wait), then waits for its result here, at most two minutes. */
  async function restore(fixture: Fixture, target: string, extra: string[] = []) {
    const destination = join(destinations, randomUUID());
    const args = ['restore', '--server', fixture.server, '--bucket', fixture.bucket, '--prefix', fixture.prefix, '--target-time', target, '--dest', destination, ...extra];
    const out = await pitr(args, cliEnv);
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const restoreId = /^restore started: (.+)$/m.exec(out.stdout)?.[1];
    assert.ok(restoreId, out.stdout);
    const handle = client.workflow.getHandle(restoreId);
    started.push(handle);
    const result = (await Promise.race([
      handle.result(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`restore ${restoreId} did not end within 120 s: did it reach a worker? ${out.stdout}`)), 120_000)),
    ])) as RestoreResult;
    return { out: out.stdout, handle, result, destination };
  }

  /** The worker identities that ran the restore's steps, from its history. */
  async function stepWorkers(handle: WorkflowHandle): Promise<string[]> {
    const history = await handle.fetchHistory();
    return [...new Set((history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.identity ?? []))];
  }

  const identity = (host: Host) => `${host.worker.pid}@${hostname()}`;

  it("sends a restore of each server to its host's worker, whose work area it uses, without --task-queue", async () => {
    const [a, b] = await Promise.all([
      restore(pg, between(marker(pg, 'after-b2-1'), marker(pg, 'after-b2-2'))),
      restore(other, between(marker(other, 'after-b1-1'), marker(other, 'after-b1-2'))),
    ]);
    assert.match(a.out, new RegExp(`^task queue: ${hostA.queue} \\(from PITR_SERVER_QUEUES\\)$`, 'm'));
    assert.match(b.out, new RegExp(`^task queue: ${hostB.queue} \\(from PITR_SERVER_QUEUES\\)$`, 'm'));

    // Where each work area was: the worker computes it from its own PITR_BARMAN_HOME, and the plan records it.
    assert.ok(a.result.plan.workDir.startsWith(join(hostA.workRoot, 'restores') + '/'), a.result.plan.workDir);
    assert.ok(b.result.plan.workDir.startsWith(join(hostB.workRoot, 'restores') + '/'), b.result.plan.workDir);
    // Which worker ran every step: the identity Temporal recorded for each activity.
    assert.deepEqual(await stepWorkers(a.handle), [identity(hostA)]);
    assert.deepEqual(await stepWorkers(b.handle), [identity(hostB)]);
    assert.equal((await a.handle.describe()).taskQueue, hostA.queue);
    assert.equal((await b.handle.describe()).taskQueue, hostB.queue);

    assert.deepEqual(await queryRestoredMarkers(a.destination, a.result.plan.pgVersion), labelsUpTo(pg, between(marker(pg, 'after-b2-1'), marker(pg, 'after-b2-2'))));
    assert.deepEqual(await queryRestoredMarkers(b.destination, b.result.plan.pgVersion), labelsUpTo(other, between(marker(other, 'after-b1-1'), marker(other, 'after-b1-2'))));
  });

  it('an explicit --task-queue wins over the mapping', async () => {
    const target = between(marker(other, 'after-b1-1'), marker(other, 'after-b1-2'));
    const { out, handle, result } = await restore(other, target, ['--task-queue', hostA.queue]);
    assert.match(out, new RegExp(`^task queue: ${hostA.queue} \\(from --task-queue\\)$`, 'm'));
    assert.ok(result.plan.workDir.startsWith(join(hostA.workRoot, 'restores') + '/'), result.plan.workDir);
    assert.deepEqual(await stepWorkers(handle), [identity(hostA)]);
  });

  it('refuses a bad mapping, naming the entry and the accepted form, and starts nothing', async () => {
    const destination = join(destinations, randomUUID());
    const out = await pitr(['restore', '--server', pg.server, '--target-time', '2026-12-01 01:03:14+00', '--dest', destination], { PITR_SERVER_QUEUES: `${pg.server}:${hostA.queue}` });
    assert.equal(out.code, 1, out.stdout);
    assert.equal(out.stdout, '');
    assert.ok(
      out.stderr.includes(`pitr: PITR_SERVER_QUEUES entry 1 "${pg.server}:${hostA.queue}" has no "=": expected SERVER=QUEUE entries separated by commas, e.g. PITR_SERVER_QUEUES="pg=host-a,orders=host-b"`),
      out.stderr,
    );
    await assert.rejects(client.workflow.getHandle(`pitr:${pg.server}:${destination}`).describe(), /not found/i);
  });
});
