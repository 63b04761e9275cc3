// Tablespaces land only where the user chose (issue 11, item 4), on the real stack and real Barman: the
// c319-tblspc-15 fixture's backup holds tablespace ts1 (table ts_rows), whose original location is a folder
// under the source cluster's folder on this very host. Before, every restore handed Barman no relocation, so
// Barman rsync'ed the tablespace with --delete into that original folder: the source's live tablespace.
// Each restore here checks by SQL that ts_rows holds the rows of the target time (replayed into the
// relocated tablespace), that pg_tblspc/<oid> points where it should, and that not one file of the original
// location changed (checksummed before and after).
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { UtcMicros } from '../../src/core/timestamp';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { PitrClient } from '../../src/pitr-client';
import { loadWorkerSettings } from '../../src/settings';
import type { RestoreResult } from '../../src/shared';
import { between, loadFixture, marker, type Fixture, type FixtureTablespace } from '../support/fixture';
import { holdFixtureLock } from '../support/fixture-lock';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredCluster } from '../support/restored-cluster';
import { REPO_ROOT, requireStackEnv } from '../support/stack-env';
import { waitFor } from '../support/workflow-history';

const SERVER = 'c319-tblspc-15';
const run = promisify(execFile);

/** Every entry under `dir`: kind, mode, owner, size, content hash or link target; sorted by path. */
async function checksumTree(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (path: string, rel: string): Promise<void> => {
    const stats = await lstat(path);
    const head = `${rel} mode=${(stats.mode & 0o7777).toString(8)} uid=${stats.uid} mtime=${stats.mtimeMs}`;
    if (stats.isSymbolicLink()) lines.push(`${head} link=${await readlink(path)}`);
    else if (stats.isDirectory()) {
      lines.push(`${head} dir`);
      for (const name of (await readdir(path)).sort()) await walk(join(path, name), `${rel}/${name}`);
    } else lines.push(`${head} size=${stats.size} sha256=${createHash('sha256').update(await readFile(path)).digest('hex')}`);
  };
  await walk(dir, '.');
  return lines;
}

/**
 * The original location as the source cluster left it; when a later fixture build replaced the source folder,
 * a stand-in made as postgres (who owns the source folder) with a file in it: what is checked is that nothing
 * writes there, and a restore into it (rsync --delete) would remove that file.
 */
async function ensureOriginalLocation(tablespace: FixtureTablespace): Promise<void> {
  const exists = await lstat(tablespace.location).then(() => true, () => false);
  if (exists) return;
  await run('runuser', ['-u', 'postgres', '--', 'mkdir', '-p', tablespace.location]);
  await run('runuser', ['-u', 'postgres', '--', 'cp', '--', '/etc/hostname', join(tablespace.location, 'stand-in-of-the-source-tablespace')]);
}

describe('tablespaces land only where the user chose: a location derived from the destination, or --tablespace NAME=DIR', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  /** A worker on Debian's Barman 3.4, which, unlike 3.19, writes into a non-empty tablespace location (rsync --delete). */
  let harness34: RestoreHarness;
  let fixture: Fixture;
  let ts1: FixtureTablespace;
  let lock: ChildProcess | undefined;
  let originalBefore: string[];

  before(async () => {
    fixture = loadFixture(SERVER);
    assert.equal(fixture.shape, 'tablespace', `${SERVER} is the tablespace fixture`);
    ts1 = fixture.tablespaces?.find((t) => t.name === 'ts1') as FixtureTablespace;
    assert.ok(ts1, `${SERVER}.json records tablespace ts1`);
    lock = await holdFixtureLock();
    await ensureOriginalLocation(ts1);
    originalBefore = await checksumTree(ts1.location);
    harness = await openRestoreHarness({ server: SERVER });
    harness34 = await openRestoreHarness({ server: SERVER, settings: { barmanBin: '/usr/bin/barman' } });
  });

  afterEach(async () => {
    // Whatever a restore did, the source's tablespace folder is exactly as it was.
    assert.deepEqual(await checksumTree(ts1.location), originalBefore, `the original location ${ts1.location} changed`);
  });

  after(async () => {
    await harness?.close();
    await harness34?.close();
    lock?.stdin?.end();
  });

  /** ts_rows as the restore left it: the rows of markers (not the seeds), and how many seeds each marker touched. */
  async function tablespaceRows(result: RestoreResult): Promise<{ labels: string[]; touched: string[] }> {
    const [labels, touched] = await queryRestoredCluster(result.destination, result.plan.pgVersion, [
      `select label from ${ts1.table} where label not like 'seed-%' order by label`,
      `select t || '=' || n from (select coalesce(touched_by, 'none') t, count(*) n from ${ts1.table} where label like 'seed-%' group by 1) s order by 1`,
    ]);
    return { labels: labels === '' ? [] : labels.split('\n'), touched: touched.split('\n') };
  }

  const pgTblspcLink = (result: RestoreResult) => readlink(join(result.destination, 'pg_tblspc', String(ts1.oid)));

  it('restores ts1 by default beside the data directory, at <destination>.tablespaces/ts1, never to its original location', async () => {
    const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target))).result();
    assert.equal(result.verify.state, 'paused');
    const expected = `${result.destination}.tablespaces/ts1`;
    assert.equal(await pgTblspcLink(result), expected);
    // Seeds i with i % 3 = 0 were touched by after-b1-1 (333 of 1000); after-b1-2 came after the target.
    assert.deepEqual(await tablespaceRows(result), { labels: ['after-b1-1'], touched: ['after-b1-1=333', 'none=667'] });
    assert.ok((await readdir(expected)).includes('PG_15_202209061'), `${expected} holds the tablespace's version folder`);
  });

  it('restores ts1 by default beside the data directory with the worker on Barman 3.4 too', async () => {
    const target: UtcMicros = between(marker(fixture, 'after-b1-2'), marker(fixture, 'after-b1-3'));
    const result: RestoreResult = await (await harness34.start(harness34.inputFor(target))).result();
    assert.equal(result.verify.state, 'paused');
    assert.equal(await pgTblspcLink(result), `${result.destination}.tablespaces/ts1`);
    assert.deepEqual(await tablespaceRows(result), {
      labels: ['after-b1-1', 'after-b1-2'],
      touched: ['after-b1-1=333', 'after-b1-2=334', 'none=333'],
    });
  });

  it('beside a held restore of the backup, links its extracted data and ts1 directories instead of extracting them, into another location', async () => {
    const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const pitr = new PitrClient(harness.client, harness.client.options.namespace);
    const heldInput = harness.inputFor(target, undefined, { hold: true });
    const heldHandle = await harness.start(heldInput);
    try {
      await pitr.waitUntilHeld(heldHandle.workflowId, { pollMs: 500 });
      const location = harness.newDestination();
      const result: RestoreResult = await (await harness.start(harness.inputFor(target, undefined, { tablespaces: [{ name: 'ts1', location }] }))).result();
      assert.equal(result.base.bytesFetched, 0);
      assert.equal(result.base.reused?.linkedDirectories, 2, 'data and the tablespace, both linked');
      assert.equal(await pgTblspcLink(result), location);
      assert.deepEqual(await tablespaceRows(result), { labels: ['after-b1-1'], touched: ['after-b1-1=333', 'none=667'] });
    } finally {
      await pitr.finish(heldHandle.workflowId, 'stop');
    }
    assert.ok(existsSync(`${heldInput.destination}.tablespaces/ts1`), 'the held restore\'s own tablespace location is still there');
  });

  it('restores ts1 into the folder named with --tablespace ts1=DIR', async () => {
    const target: UtcMicros = between(marker(fixture, 'after-b1-2'), marker(fixture, 'after-b1-3'));
    const location = harness.newDestination();
    const result: RestoreResult = await (await harness.start(harness.inputFor(target, undefined, { tablespaces: [{ name: 'ts1', location }] }))).result();
    assert.equal(result.verify.state, 'paused');
    assert.deepEqual(result.plan.tablespaces, [{ name: 'ts1', oid: ts1.oid, location, source: 'named', original: ts1.location }]);
    assert.equal(await pgTblspcLink(result), location);
    assert.deepEqual(await tablespaceRows(result), {
      labels: ['after-b1-1', 'after-b1-2'],
      touched: ['after-b1-1=333', 'after-b1-2=334', 'none=333'],
    });
    // Nothing went to the default location either.
    assert.equal(await lstat(`${result.destination}.tablespaces`).then(() => true, () => false), false);
  });

  it('refuses a named location that is not empty, naming the tablespace, and changes nothing there', async () => {
    const location = harness.newDestination();
    await mkdir(location, { recursive: true });
    await writeFile(join(location, 'keep-me'), 'a file of the user\'s\n');
    const before = await checksumTree(location);
    const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { type, message } = await harness.expectFailure(harness.inputFor(target, undefined, { tablespaces: [{ name: 'ts1', location }] }));
    assert.equal(type, 'DestinationNotEmpty', message);
    assert.ok(message.startsWith(`tablespace ts1 (oid ${ts1.oid}) goes to ${location} (named with --tablespace): destination ${location} is not empty`), message);
    assert.ok(message.includes('--force'), message);
    assert.deepEqual(await checksumTree(location), before);
  });

  it('with --force moves a non-empty named location aside (never deletes it) and restores into it', async () => {
    const location = harness.newDestination();
    await mkdir(location, { recursive: true });
    await writeFile(join(location, 'keep-me'), 'a file of the user\'s\n');
    const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const result: RestoreResult = await (await harness.start(harness.inputFor(target, undefined, { force: true, tablespaces: [{ name: 'ts1', location }] }))).result();
    assert.equal(await pgTblspcLink(result), location);
    assert.equal(await readFile(join(`${location}.before-pitr-${result.plan.backupId}`, 'keep-me'), 'utf8'), 'a file of the user\'s\n');
    assert.deepEqual((await tablespaceRows(result)).labels, ['after-b1-1']);
  });

  it('refuses a tablespace name the backup does not have, naming the backup\'s tablespaces', async () => {
    const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { type, message } = await harness.expectFailure(harness.inputFor(target, undefined, { tablespaces: [{ name: 'ts2', location: harness.newDestination() }] }));
    assert.equal(type, 'InvalidInput', message);
    assert.ok(message.startsWith(`--tablespace names "ts2", which backup ${fixture.backups[0]!.id} does not have: its tablespaces are "ts1". `), message);
  });

  it('pitr plan shows where each tablespace would go and what a restore would find there; an unknown name is bad usage', async () => {
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const dest = harness.newDestination();
    const plan = (extra: string[]) =>
      run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), 'plan', '--server', SERVER, '--target-time', target, '--dest', dest, '--json', '--task-queue', harness.taskQueue, ...extra]).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const byDefault = await plan([]);
    assert.equal(byDefault.code, 0, byDefault.stderr + byDefault.stdout);
    const [t] = JSON.parse(byDefault.stdout).tablespaces;
    assert.deepEqual(
      { name: t.name, oid: t.oid, location: t.location, source: t.source, recordedLocation: t.recordedLocation, state: t.state, problem: t.problem },
      { name: 'ts1', oid: ts1.oid, location: `${dest}.tablespaces/ts1`, source: 'default', recordedLocation: ts1.location, state: 'absent', problem: null },
    );
    assert.ok(t.space.requiredBytes > 0, JSON.stringify(t.space));

    const full = harness.newDestination();
    await mkdir(full, { recursive: true });
    await writeFile(join(full, 'keep-me'), 'x');
    const named = await plan(['--tablespace', `ts1=${full}`]);
    assert.equal(named.code, 0, named.stderr + named.stdout);
    const [n] = JSON.parse(named.stdout).tablespaces;
    assert.equal(n.location, full);
    assert.equal(n.source, 'named');
    assert.equal(n.state, 'not-empty');
    assert.match(n.problem, /which is not empty: a restore refuses it unless run with --force/);

    const unknown = await plan(['--tablespace', 'nope=/srv/nope']);
    assert.equal(unknown.code, 2, unknown.stderr + unknown.stdout);
    assert.match(unknown.stderr, /--tablespace names "nope", which backup \S+ does not have: its tablespaces are "ts1"/);
  });

  it('a cancel during barman recover removes what the restore wrote into the tablespace folders and puts back what --force moved aside', async () => {
    // The stack's Barman behind a wrapper whose recover starts 60 s late: a window in which every folder is taken.
    const tools = await mkdtemp(join(tmpdir(), 'pitr-tblspc-tools-'));
    const wrapper = join(tools, 'barman');
    const realBarman = loadWorkerSettings(requireStackEnv().env).barmanBin;
    await writeFile(
      wrapper,
      [
        '#!/bin/bash',
        `if [[ " $* " == *" recover "* ]]; then trap 'kill $child 2>/dev/null; exit 143' TERM INT; sleep 60 & child=$!; wait $child; fi`,
        `exec ${JSON.stringify(realBarman)} "$@"`,
        '',
      ].join('\n'),
    );
    await chmod(wrapper, 0o755);
    const slow = await openRestoreHarness({ server: SERVER, settings: { barmanBin: wrapper } });
    try {
      const location = slow.newDestination();
      await mkdir(location, { recursive: true });
      await writeFile(join(location, 'keep-me'), 'mine');
      const target: UtcMicros = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
      const input = slow.inputFor(target, undefined, { force: true, tablespaces: [{ name: 'ts1', location }] });
      const handle = await slow.start(input);
      await waitFor('the restore to take the tablespace folder', 120_000, async () => (await readRestoreStatus(handle)).phase === 'Recover' && (await readdir(location).catch(() => ['?'])).length === 0);
      assert.equal(await readFile(join(`${location}.before-pitr-${fixture.backups[0]!.id}`, 'keep-me'), 'utf8'), 'mine', '--force moved the folder aside');
      await handle.cancel();
      await assert.rejects(handle.result());
      await waitFor('the cancel to finish', 60_000, async () => (await handle.describe()).status.name === 'CANCELLED');
      assert.deepEqual(await readdir(location), ['keep-me'], 'the folder holds exactly what it held before');
      assert.equal(await readFile(join(location, 'keep-me'), 'utf8'), 'mine');
      assert.equal(existsSync(`${location}.before-pitr-${fixture.backups[0]!.id}`), false);
      assert.equal(existsSync(input.destination), false, 'the data directory the restore made is removed');
    } finally {
      await slow.close();
      await rm(tools, { recursive: true, force: true });
    }
  });
});
