// What a bucket may hold besides what barman-cloud wrote, on the real stack: a base backup cut into parts
// (barman-cloud-backup --max-archive-size: data.tar.gz, data_0001.tar.gz, ...) restores like one tarball,
// extracted in part order under one guard; a backup.info that cannot be used, next to good ones, is
// skipped with a note by `pitr plan` and `pitr backups` instead of failing the server, and the escape
// sequences it holds never reach the terminal.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { baseBackupsPrefix } from '../../src/core/s3-layout';
import type { UtcMicros } from '../../src/core/timestamp';
import { createS3Client } from '../../src/io/s3-client';
import type { RestoreResult } from '../../src/shared';
import { craftedBackups, type CraftedBackups } from '../support/bad-input-crafted-backup';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';
import { buildTar, tarHeader } from '../support/tar-test-archive';

const run = promisify(execFile);
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/**
 * The entries of a plain tar, each with the extended headers before it (PAX `x`, GNU `L`/`K`), which belong
 * to it: a part may only start at such a group. The end-of-archive blocks are left out.
 */
function tarEntryGroups(tar: Buffer): Buffer[] {
  const groups: Buffer[] = [];
  let start = 0;
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') continue; // belongs to the next entry
    groups.push(tar.subarray(start, offset));
    start = offset;
  }
  return groups;
}

describe('untrusted bucket content (real Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let crafted: CraftedBackups;
  let target: UtcMicros;
  const s3 = createS3Client();

  before(async () => {
    harness = await openRestoreHarness();
    crafted = craftedBackups(harness.fixture);
    // A target the newer backup serves: the crafted copies hold its WAL.
    target = between(marker(harness.fixture, 'after-b2-1'), marker(harness.fixture, 'after-b2-2'));
  });

  after(async function () {
    this.timeout(60_000);
    await harness?.close();
    if (crafted) {
      await crafted.removeAll();
      assert.deepEqual(await crafted.remainingKeys(), [], 'every crafted object is removed from the bucket');
    }
    s3.destroy();
  });

  const put = (key: string, body: Buffer | string) => s3.send(new PutObjectCommand({ Bucket: harness.fixture.bucket, Key: key, Body: body }));

  async function pitr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    // plan and backups run on the suite's worker.
    return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args, '--task-queue', harness.taskQueue], { env: process.env, maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  }

  it('restores a base backup cut into three parts (data.tar.gz, data_0001.tar.gz, data_0002.tar.gz) to the same rows', async () => {
    const groups = tarEntryGroups(gunzipSync(await crafted.realDataTar()));
    assert.ok(groups.length >= 3, `the real tarball has ${groups.length} entries`);
    const third = Math.ceil(groups.length / 3);
    const parts = [0, 1, 2].map((i) => gzipSync(Buffer.concat([...groups.slice(i * third, (i + 1) * third), Buffer.alloc(1024)])));
    const server = await crafted.create('parts', { dataTar: parts[0] });
    const folder = `${baseBackupsPrefix(harness.fixture.prefix, server)}${crafted.backup.id}/`;
    await put(`${folder}data_0001.tar.gz`, parts[1]!);
    await put(`${folder}data_0002.tar.gz`, parts[2]!);

    const handle = await harness.start(harness.inputFor(target, harness.newDestination(), { server }));
    const result: RestoreResult = await handle.result();
    assert.equal(result.plan.baseObjects, 4, 'three tar parts and backup.info');
    assert.equal(result.verify.state, 'paused');
    const markers = await queryRestoredMarkers(result.destination, result.plan.pgVersion);
    assert.deepEqual(markers, labelsUpTo(harness.fixture, target));
  });

  it('refuses a backup whose parts have a gap (data.tar.gz and data_0002.tar.gz, no data_0001) before copying anything', async () => {
    const groups = tarEntryGroups(gunzipSync(await crafted.realDataTar()));
    const third = Math.ceil(groups.length / 3);
    const part = (i: number) => gzipSync(Buffer.concat([...groups.slice(i * third, (i + 1) * third), Buffer.alloc(1024)]));
    const server = await crafted.create('part-gap', { dataTar: part(0) });
    const folder = `${baseBackupsPrefix(harness.fixture.prefix, server)}${crafted.backup.id}/`;
    await put(`${folder}data_0002.tar.gz`, part(2));
    const { type, message } = await harness.expectFailure(harness.inputFor(target, harness.newDestination(), { server }));
    assert.equal(type, 'CorruptArchive', message);
    assert.equal(
      message,
      `backup ${crafted.backup.id} in s3://${harness.fixture.bucket}/${folder} lacks part 1 of data.tar* (it has parts 0 and 2): ` +
        'barman-cloud-backup uploads the parts of a directory as data.tar, data_0001.tar, ... without gaps, and backup.info last, so this backup is incomplete; ' +
        'restore from another backup (name one with --backup-id, or choose a target another backup covers)',
    );
  });

  it('refuses a tarball expanding past the bound its backup.info gives, before writing the entry', async () => {
    // A gzip bomb's header: an entry declaring 4 GiB, far past twice the cluster_size of the fixture's
    // backup.info plus 1 GiB; the body need not follow, extraction stops at the header.
    const bomb = Buffer.concat([
      buildTar([{ path: './', type: 'dir', mode: 0o700 }, { path: './PG_VERSION', body: '15\n', mode: 0o600 }], { endMarker: false }),
      tarHeader({ path: './base/1/16384', mode: 0o600 }, 4 * 1024 ** 3),
      Buffer.alloc(64 * 1024),
    ]);
    const server = await crafted.create('bomb', { dataTar: gzipSync(bomb) });
    const destination = harness.newDestination();
    const { type, message } = await harness.expectFailure(harness.inputFor(target, destination, { server }));
    assert.equal(type, 'UnsafeArchive', message);
    assert.match(message, /data\.tar\.gz expands past 1\.\d GiB \(twice the [\d.]+ MiB backup\.info records for the cluster, plus 1 GiB\)/);
    assert.match(message, /extraction stopped at entry "\.\/base\/1\/16384", before writing it/);
  });

  describe('a backup.info that cannot be used, beside a good backup', () => {
    // An older backup id than the fixture's, so the good backup stays the one chosen.
    const badId = '20200101T000000';
    let server: string;

    before(async () => {
      server = await crafted.create('unusable-info');
      // Escape sequences (clear screen, retitle the window, a one-character C1 CSI) on a line that is not key=value.
      await put(`${baseBackupsPrefix(harness.fixture.prefix, server)}${badId}/backup.info`, `\u001b[2J\u001b]0;owned\u0007\u009b31m${'x'.repeat(5000)}\nstatus=DONE\n`);
      await put(`${baseBackupsPrefix(harness.fixture.prefix, server)}${badId}/data.tar.gz`, 'never read');
    });

    it('pitr plan chooses the good backup and names the bad one in a "not" line, quoting a short, escaped excerpt', async () => {
      const { code, stdout, stderr } = await pitr('plan', '--server', server, '--target-time', target, '--dest', harness.newDestination());
      assert.ok(code === 0 || code === 4, `exit ${code}: ${stderr}${stdout}`);
      for (const line of stdout.split('\n')) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
      assert.match(stdout, new RegExp(`^backup +${crafted.backup.id},`, 'm'));
      const not = stdout.split('\n').find((l) => l.includes(badId));
      assert.ok(not, stdout);
      assert.match(not, /^ +not +20200101T000000: skipped: its backup\.info cannot be used: line 1 is not key=value: "\\u001b\[2J\\u001b\]0;owned\\u0007\\u009b31mx+"\.\.\.$/);
      assert.ok(not.length < 200, not);
    });

    it('pitr backups lists the good backup and notes the bad one, with no control character', async () => {
      const { code, stdout, stderr } = await pitr('backups', '--server', server);
      assert.equal(code, 0, stderr);
      for (const line of stdout.split('\n')) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
      assert.match(stdout, new RegExp(`^${crafted.backup.id} +DONE`, 'm'));
      assert.match(stdout, /^20200101T000000 skipped: its backup\.info cannot be used: line 1 is not key=value: /m);
      const json = await pitr('backups', '--server', server, '--json');
      assert.doesNotMatch(json.stdout, CONTROL);
      assert.deepEqual(
        (JSON.parse(json.stdout) as { unreadableBackups: { id: string }[] }).unreadableBackups.map((u) => u.id),
        [badId],
      );
    });

    it('a restore that names it with --backup-id fails at once, saying why', async () => {
      const { code, stdout, stderr } = await pitr('plan', '--server', server, '--target-time', target, '--dest', harness.newDestination(), '--backup-id', badId);
      assert.notEqual(code, 0);
      const out = stdout + stderr;
      assert.doesNotMatch(out.replace(/\n/g, ''), CONTROL);
      assert.match(out, /backup\.info of backup 20200101T000000 cannot be used: line 1 is not key=value/);
    });
  });
});
