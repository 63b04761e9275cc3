// A client that needs only Temporal (issue 13, item 3), on the real stack: `pitr plan`, `pitr backups` and a
// restore run from a process whose environment holds Temporal's address and namespace and the task queue, and
// nothing else: no S3 credentials or endpoint (no AWS_* variable, a HOME without ~/.aws) and no PostgreSQL
// binaries on PATH. The work happens on the worker of that queue, which has both.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addMicros, parseOffsetTimestamp, type UtcMicros } from '../../src/core/timestamp';
import { between, marker, utc } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';
import { restoreWorkflowId, type RestoreResult } from '../../src/shared';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('a client that needs only Temporal: plan, backups and restore from a process without S3 credentials or PostgreSQL binaries', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let home: string;
  /** Temporal's address and namespace, the worker's task queue, a bare PATH and an empty HOME: nothing else. */
  let bareEnv: Record<string, string>;

  before(async () => {
    harness = await openRestoreHarness();
    home = await mkdtemp(join(tmpdir(), 'pitr-bare-home-'));
    bareEnv = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
      TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE || 'default',
      PITR_TASK_QUEUE: harness.taskQueue,
      PATH: '/usr/bin:/bin',
      HOME: home,
    };
  });

  after(async () => {
    await harness?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** `node bin/pitr.js ARGS` in the bare environment, the bucket and prefix given as arguments (to the commands that take them). */
  function pitr(args: string[]): Promise<CliResult> {
    const location = ['status', 'advance', 'finish'].includes(args[0]!) ? [] : ['--bucket', harness.fixture.bucket, '--prefix', harness.fixture.prefix];
    return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args, ...location], { env: bareEnv, maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  }

  function instant(text: string): UtcMicros {
    const parsed = parseOffsetTimestamp(text);
    assert.ok(parsed, `${text} is a time with an offset`);
    return parsed;
  }

  it('the bare environment really lacks them: no AWS_* variable, and no pg_waldump on PATH', async () => {
    assert.deepEqual(Object.keys(bareEnv).filter((name) => name.startsWith('AWS_')), []);
    const found = await run('sh', ['-c', 'command -v pg_waldump || command -v postgres || command -v pg_ctl'], { env: bareEnv }).then(
      (r) => r.stdout,
      () => null,
    );
    assert.equal(found, null, `PostgreSQL tools on PATH=${bareEnv.PATH}: ${found}`);
  });

  it('pitr plan without --dest: the backup, WAL and reachability from the worker, no disk or destination section', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const result = await pitr(['plan', '--server', fixture.server, '--target-time', target, '--json']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const out = JSON.parse(result.stdout);
    assert.equal(out.reachable, true);
    assert.equal(out.backup.id, fixture.backups[0]!.id);
    assert.ok(out.wal.segments > 0);
    assert.ok(instant(out.wal.firstCommitAfterTarget) > target);
    assert.ok(out.baseSize.extractedBytes > 0);
    for (const key of ['destination', 'space', 'destinationState', 'destinationProblem', 'tablespaces']) assert.ok(!(key in out), `no ${key} without --dest: ${Object.keys(out)}`);

    const text = await pitr(['plan', '--server', fixture.server, '--target-time', target]);
    assert.equal(text.code, 0, text.stderr + text.stdout);
    assert.match(text.stdout, new RegExp(`backup\\s+${fixture.backups[0]!.id}, ended `));
    assert.match(text.stdout, /reachable\s+yes/);
    assert.doesNotMatch(text.stdout, /^(disk|destination)\s/m);
    assert.match(text.stdout.split('\n')[1]!, /^\s+\(dry run: nothing was copied; no --dest, so no disk or destination checks\)$/);
  });

  it('pitr plan with --dest measures the worker host\'s disk, and exits 3 for an unreachable target', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const destination = harness.newDestination();
    const out = JSON.parse((await pitr(['plan', '--server', fixture.server, '--target-time', target, '--dest', destination, '--json'])).stdout);
    assert.equal(out.backup.id, fixture.backups[1]!.id);
    assert.equal(out.destination, destination);
    assert.equal(out.destinationState, 'absent');
    assert.equal(out.space.enough, true);
    assert.equal(out.space.barmanHome.path, harness.settings.workRoot, 'the worker\'s Barman home, not this process\'s');

    const late = addMicros(marker(fixture, 'tail').committedAt, 3_600_000_000);
    const unreachable = await pitr(['plan', '--server', fixture.server, '--target-time', late]);
    assert.equal(unreachable.code, 3, unreachable.stderr + unreachable.stdout);
    assert.match(unreachable.stdout, /NOT REACHABLE \(TargetUnreachable\)/);
  });

  it('pitr backups lists the fixture\'s backups and its recoverable window', async () => {
    const { fixture } = harness;
    const result = await pitr(['backups', '--server', fixture.server, '--json']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(
      out.backups.map((b: { id: string }) => b.id),
      fixture.backups.map((b) => b.id),
    );
    assert.equal(instant(out.timelines[0].windows[0].from), utc(fixture.backups[0]!.endTime));

    const missing = await pitr(['backups', '--server', 'no-such-server']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^pitr: nothing under s3:\/\/.*no-such-server\/.*check the server name/);
  });

  it('docs/client-example.mjs (the typed client, imported by the package name) lists, plans, restores held, advances and finishes from the same bare environment', async () => {
    const { fixture } = harness;
    const first = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const target = between(marker(fixture, 'after-b1-2'), marker(fixture, 'after-b1-3'));
    const destination = harness.newDestination();
    const env = { ...bareEnv, PITR_BUCKET: fixture.bucket, PITR_PREFIX: fixture.prefix };
    const args = [join(REPO_ROOT, 'docs', 'client-example.mjs'), '--server', fixture.server, '--target-time', first, '--dest', destination, '--restore', '--advance-to', target];
    const { stdout } = await run(process.execPath, args, { env, cwd: REPO_ROOT });
    assert.match(stdout, /^held: replay stopped before commit of transaction \d+ .*; psql -h \/tmp\/pitr-pg-\w+ -p \d+ -d postgres$/m);
    assert.match(stdout, /^advanced: replay stopped before commit of transaction \d+ .*; \d+ bytes of WAL fetched$/m);
    assert.match(stdout, new RegExp(`^backups of ${fixture.server}: ${fixture.backups[0]!.id} \\(DONE, ended `, 'm'));
    assert.match(stdout, /^timeline 1: recoverable from \S+ to \S+$/m);
    assert.match(stdout, new RegExp(`^plan: backup ${fixture.backups[0]!.id}, WAL \\S+ \\(\\d+ segments\\), \\d+ bytes to fetch, disk enough$`, 'm'));
    assert.match(stdout, /^restore completed: PostgreSQL paused at the target in /m);
    assert.match(stdout, /^status: COMPLETED, \d+ steps recorded$/m);
    const expected = fixture.markers.filter((m) => m.committedAt <= target).map((m) => m.label).sort();
    const result: RestoreResult = await harness.client.workflow.getHandle(restoreWorkflowId(fixture.server, destination)).result();
    assert.deepEqual(await queryRestoredMarkers(destination, result.plan.pgVersion), expected);
  });

  it('pitr restore --hold --wait, pitr status, pitr advance and pitr finish: held, advanced, stopped paused at the later target', async () => {
    const { fixture } = harness;
    const first = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const later = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const destination = harness.newDestination();
    const held = await pitr(['restore', '--server', fixture.server, '--target-time', first, '--dest', destination, '--hold', '--wait', '--json']);
    assert.equal(held.code, 0, held.stderr + held.stdout);
    const out = JSON.parse(held.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.status, 'HELD');
    assert.match(out.held.server.socketDir, /^\/tmp\/pitr-pg-/);
    const status = await pitr(['status', out.id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^${out.id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: held at ${first.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(status.stdout, /^ {2}connect: psql -h \/tmp\/pitr-pg-\w+ -p \d+ -d postgres/m);
    const back = await pitr(['advance', out.id, '--target-time', first]);
    assert.equal(back.code, 1, back.stdout);
    assert.match(back.stderr, /is not later than the held target .*replay only goes forward/);
    const advanced = await pitr(['advance', out.id, '--target-time', later]);
    assert.equal(advanced.code, 0, advanced.stderr + advanced.stdout);
    assert.match(advanced.stdout, new RegExp(`^advanced to ${later.replace(/\./g, '\\.')}$`, 'm'));
    const finished = await pitr(['finish', out.id, '--stop']);
    assert.equal(finished.code, 0, finished.stderr + finished.stdout);
    assert.match(finished.stdout, /^restore completed: /m);
    assert.deepEqual(await queryRestoredMarkers(destination, fixture.pgMajor), fixture.markers.filter((m) => m.committedAt <= later).map((m) => m.label).sort());
  });

  it('pitr restore --wait restores to the target; SQL on the result shows the rows before it only', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const destination = harness.newDestination();
    const result = await pitr(['restore', '--server', fixture.server, '--target-time', target, '--dest', destination, '--wait', '--json']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.status, 'COMPLETED');
    const expected = fixture.markers.filter((m) => m.committedAt <= target).map((m) => m.label).sort();
    assert.deepEqual(await queryRestoredMarkers(destination, out.result.plan.pgVersion), expected);
  });
});
