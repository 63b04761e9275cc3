// Resume and cancel on the real stack, driven through the pitr CLI as a person would.
import { movedAsideSuffix, restoreWorkflowId, type RestoreResult } from '../../src/shared';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { detectBarman, xlogdbPath } from '../../src/io/barman';
import { backupDir } from '../../src/io/work-dir';
import { runCommand } from '../../src/io/run-command';
import { loadWorkerSettings } from '../../src/settings';
import { failOnBrokenBarman, writeBarmanWrapper } from '../support/barman-wrapper';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';
import { waitFor } from '../support/workflow-history';

const run = promisify(execFile);

function pitr(...args: string[]) {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: process.env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

describe('resume and cancel (real stack, pitr CLI)', function () {
  this.timeout(300_000);
  let harness: RestoreHarness;
  let tools: string;

  let wrapper: string;
  let realBarman: string;

  before(async () => {
    tools = await mkdtemp(join(tmpdir(), 'pitr-tools-'));
    realBarman = loadWorkerSettings(requireStackEnv().env).barmanBin;
    wrapper = await writeBarmanWrapper(tools, realBarman);
    harness = await openRestoreHarness({ settings: { barmanBin: wrapper } });
  });

  after(async () => {
    await harness?.close();
    await rm(tools, { recursive: true, force: true });
  });

  it('resumes a restore that failed on a broken barman once it is fixed, reusing the downloads', async () => {
    const { fixture, target, input } = await failOnBrokenBarman(harness, tools);

    const id = restoreWorkflowId(fixture.server, input.destination);
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

  it('a resumed restore never writes through links the Barman user planted in the work area it was handed', async () => {
    const { fixture, target, input } = await failOnBrokenBarman(harness, tools);
    // The failed stage step had handed the area to the Barman user, who plants links to files only root may write.
    const layout = harness.workArea(input);
    const vault = await mkdtemp(join(tmpdir(), 'pitr-victims-'));
    const [backupId] = await readdir(join(layout.barmanHome, fixture.server, 'base'));
    const plants: Record<string, string> = {
      [layout.journal]: join(vault, 'journal'),
      [layout.barmanConfig]: join(vault, 'config'),
      [join(backupDir(layout, fixture.server, backupId!), 'backup.info.pitr-tmp')]: join(vault, 'backup-info'),
    };
    try {
      for (const [link, victim] of Object.entries(plants)) {
        await writeFile(victim, 'root only\n');
        await runCommand('ln', ['-sfn', '--', victim, link], { asUser: harness.settings.barmanUser });
      }
      const resumed = await pitr('resume', restoreWorkflowId(fixture.server, input.destination), '--wait');
      assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
      for (const victim of Object.values(plants)) assert.equal(await readFile(victim, 'utf8'), 'root only\n', `root wrote through a planted link into ${victim}`);
      assert.deepEqual(await queryRestoredMarkers(input.destination, Number((await readFile(join(input.destination, 'PG_VERSION'), 'utf8')).trim())), labelsUpTo(fixture, target));
    } finally {
      await rm(vault, { recursive: true, force: true });
    }
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

  it('a terminated restore leaves no claim that lets a later restore delete what the user put in the destination', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const input = harness.inputFor(target);
    await writeFile(join(tools, 'slow'), '');
    try {
      const handle = await harness.start(input);
      await waitFor('the restore to take the destination', 120_000, async () => (await readRestoreStatus(handle)).phase === 'Recover' && (await pgrepCount(wrapper)) > 0);
      // Terminated, as an operator would a stuck restore: no clean-up runs.
      await handle.terminate('operator gave up on it');
      await waitFor('the terminated restore\'s barman to be stopped', 90_000, async () => (await pgrepCount(wrapper)) === 0);
    } finally {
      await rm(join(tools, 'slow'), { force: true });
    }
    // The user uses the directory the dead restore had made.
    await writeFile(join(input.destination, 'keep.txt'), 'mine');
    const again = await harness.expectFailure(input);
    assert.equal(again.type, 'DestinationNotEmpty', again.message);
    assert.equal(await readFile(join(input.destination, 'keep.txt'), 'utf8'), 'mine', 'what the user put there is intact');

    // The way forward the refusal names: resume with --force moves the directory aside, never deletes it.
    const id = restoreWorkflowId(fixture.server, input.destination);
    const resumed = await pitr('resume', id, '--force', '--wait');
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    const result: RestoreResult = await harness.client.workflow.getHandle(id).result();
    assert.equal(await readFile(join(`${input.destination}.${movedAsideSuffix(result.plan.backupId)}`, 'keep.txt'), 'utf8'), 'mine');
    assert.deepEqual(await queryRestoredMarkers(input.destination, result.plan.pgVersion), labelsUpTo(fixture, target));
  });

  it('cancels a running restore: barman is killed, staging is removed, what was in the destination before is back', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    // Real barman, whose recover starts late: a window in which the destination is taken and barman runs.
    await writeFile(join(tools, 'slow'), '');
    const capabilities = await detectBarman(realBarman);
    const { gzipIsExternalProcess } = capabilities;
    const destination = harness.newDestination();
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'keep.txt'), 'mine');
    const input = harness.inputFor(target, destination, { force: true });
    const layout = harness.workArea(input);
    const workDir = layout.root;

    try {
      const handle = await harness.start(input);
      await waitFor('the restore to reach barman recover', 60_000, async () => (await readRestoreStatus(handle)).phase === 'Recover');
      await waitFor('the slow barman to start', 60_000, async () => (await pgrepCount(wrapper)) > 0);
      assert.deepEqual(await readdir(destination), [], 'recover has taken the destination, moving the old content aside');
      // What barman recover was handed: every staged segment catalogued in this Barman's catalogue, for
      // in-process gunzip (before 3.16 'pygzip', see core/xlogdb; from 3.16 'gzip' is in-process).
      const file = xlogdbPath({ barmanHome: layout.barmanHome, server: fixture.server, capabilities });
      const catalogue = (await readFile(file, 'utf8')).trim().split('\n');
      const segments = catalogue.filter((line) => /^[0-9A-F]{24}\t/.test(line));
      const inProcess = gzipIsExternalProcess ? 'pygzip' : 'gzip';
      assert.ok(segments.length > 0 && segments.every((line) => line.split('\t')[3] === inProcess), `${file}: ${catalogue.join(' | ')}`);
      const cancelled = await pitr('cancel', handle.workflowId, '--wait', '--json');
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.deepEqual(JSON.parse(cancelled.stdout), { id: handle.workflowId, status: 'CANCELLED' });
    } finally {
      await rm(join(tools, 'slow'), { force: true });
    }
    assert.equal(await pgrepCount(wrapper), 0, 'the barman child process is killed');
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
