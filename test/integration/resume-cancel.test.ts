// Resume and cancel on the real stack, driven through the pitr CLI as a person would.
import type { RestoreResult } from '../../src/shared';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { restoreWorkDir } from '../../src/activities/deps';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';
import { waitFor } from '../support/workflow-history';

const run = promisify(execFile);

function pitr(...args: string[]) {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: process.env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

/** Puts a directory in front of PATH for the in-process worker, for the duration of `body`. */
async function withPath<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${dir}:${saved}`;
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}


describe('resume and cancel (real stack, pitr CLI)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let tools: string;

  before(async () => {
    harness = await openRestoreHarness();
    tools = await mkdtemp(join(tmpdir(), 'pitr-tools-'));
  });

  after(async () => {
    await harness?.close();
    await rm(tools, { recursive: true, force: true });
  });

  it('resumes a restore that failed on a broken barman once it is fixed, reusing the downloads', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const input = harness.inputFor(target);
    // A host whose barman is broken (a wrapper that fails rebuild-xlogdb), found only after the transfers.
    const broken = join(tools, 'broken-barman');
    await mkdir(broken, { recursive: true });
    await writeFile(
      join(broken, 'barman'),
      `#!/bin/bash\nif [[ " $* " == *" rebuild-xlogdb "* ]]; then echo "ERROR: barman configuration damaged (test)" >&2; exit 1; fi\nexec /usr/bin/barman "$@"\n`,
    );
    await chmod(join(broken, 'barman'), 0o755);
    const failure = await withPath(broken, () => harness.expectFailure(input));
    assert.equal(failure.type, 'BarmanFailed');
    assert.match(failure.message, /barman rebuild-xlogdb failed.*configuration damaged/s);

    const id = `pitr:${fixture.server}:${input.destination}`;
    const resumed = await pitr('resume', id, '--wait');
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /restore resumed/);
    const result: RestoreResult = await harness.client.workflow.getHandle(id).result();
    assert.equal(result.base.bytesFetched, 0, 'the base backup downloaded by the failed run is reused');
    assert.equal(result.base.objectsSkipped, result.base.objects);
    assert.deepEqual(await queryRestoredMarkers(input.destination, result.plan.pgVersion), labelsUpTo(fixture, target));

    const status = await pitr('status', id, '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(
      (({ id, status, phase }) => ({ id, status, phase }))(JSON.parse(status.stdout)),
      { id, status: 'COMPLETED', phase: 'Done' },
    );

    const again = await pitr('resume', id);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /is completed; only a failed, cancelled or terminated restore can be resumed/);
  });

  it('refuses a completed destination unless forced; --force moves it aside, never deletes it', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const destination = harness.newDestination();
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'PG_VERSION'), '15\n');
    const refused = await harness.expectFailure(harness.inputFor(target, destination));
    assert.equal(refused.type, 'DestinationNotEmpty');
    assert.match(refused.message, /--force/);

    const result: RestoreResult = await (await harness.start(harness.inputFor(target, destination, { force: true }))).result();
    const aside = `${destination}.before-pitr-${result.plan.backupId}`;
    assert.equal(await readFile(join(aside, 'PG_VERSION'), 'utf8'), '15\n', 'the previous directory is kept beside the new one');
    assert.deepEqual(await queryRestoredMarkers(destination, result.plan.pgVersion), labelsUpTo(fixture, target));
  });

  it('cancels a running restore: barman is killed, staging is removed, what was in the destination before is back', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    // Real barman, whose recover starts late: a window in which the destination is taken and barman runs.
    const slow = join(tools, 'slow-barman');
    await mkdir(slow, { recursive: true });
    await writeFile(
      join(slow, 'barman'),
      `#!/bin/bash\nif [[ " $* " == *" recover "* ]]; then\n  trap 'kill $child 2>/dev/null; exit 143' TERM INT\n  sleep 60 & child=$!\n  wait $child\nfi\nexec /usr/bin/barman "$@"\n`,
    );
    await chmod(join(slow, 'barman'), 0o755);
    const destination = harness.newDestination();
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'keep.txt'), 'mine');
    const input = harness.inputFor(target, destination, { force: true });
    const workDir = restoreWorkDir({ workRoot: harness.settings.workRoot } as never, input).root;

    await withPath(slow, async () => {
      const handle = await harness.start(input);
      await waitFor('the restore to reach barman recover', 60_000, async () => (await readRestoreStatus(handle)).phase === 'Recover');
      await waitFor('the slow barman to start', 60_000, async () => (await pgrepCount(join(slow, 'barman'))) > 0);
      assert.deepEqual(await readdir(destination), [], 'recover has taken the destination, moving the old content aside');
      // What barman recover was handed: every staged segment catalogued for in-process gunzip (see core/xlogdb).
      const catalogue = (await readFile(join(workDir, 'home', fixture.server, 'wals', 'xlog.db'), 'utf8')).trim().split('\n');
      const segments = catalogue.filter((line) => /^[0-9A-F]{24}\t/.test(line));
      assert.ok(segments.length > 0 && segments.every((line) => line.endsWith('\tpygzip')), `xlog.db: ${catalogue.join(' | ')}`);
      const cancelled = await pitr('cancel', handle.workflowId, '--wait', '--json');
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.deepEqual(JSON.parse(cancelled.stdout), { id: handle.workflowId, status: 'CANCELLED' });
    });
    assert.equal(await pgrepCount(join(slow, 'barman')), 0, 'the barman child process is killed');
    assert.ok(!existsSync(workDir), `the staging area ${workDir} is removed`);
    assert.deepEqual(await readdir(destination), ['keep.txt'], 'the destination holds exactly what it held before');
    assert.equal(await readFile(join(destination, 'keep.txt'), 'utf8'), 'mine');
  });
});

async function pgrepCount(pattern: string): Promise<number> {
  const result = await run('pgrep', ['-f', pattern]).then(
    (r) => r.stdout,
    () => '',
  );
  return result.split('\n').filter(Boolean).length;
}
