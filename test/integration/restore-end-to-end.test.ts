// End to end on the real stack: Temporal dev server, versitygw, barman-cloud backups of a real
// PostgreSQL, Barman and PostgreSQL. Each restore ends with SQL on the started, restored database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fromEpochMicros, toEpochMicros, type UtcMicros } from '../../src/core/timestamp';
import { createS3Client } from '../../src/io/s3-client';
import { listWalArchive } from '../../src/io/wal-archive';
import type { RestoreResult } from '../../src/shared';
import { between, labelsUpTo, marker, utc } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);

describe('point-in-time restore end to end (real Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness;
  let archiveSegments: number;

  before(async () => {
    harness = await openRestoreHarness();
    const { fixture } = harness;
    archiveSegments = (await listWalArchive(createS3Client(), fixture.bucket, fixture.prefix, fixture.server)).segments.length;
  });

  after(async () => {
    await harness?.close();
  });

  async function restore(target: UtcMicros): Promise<{ result: RestoreResult; markers: string[] }> {
    const started = Date.now();
    const handle = await harness.start(harness.inputFor(target));
    const result: RestoreResult = await handle.result();
    const events = (await handle.fetchHistory()).events?.length;
    console.log(
      `      restore to ${target}: backup ${result.plan.backupId}, WAL fetched ${result.plan.walSegments} of ${archiveSegments} archived segments, ` +
        `${events} history events, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal(result.verify.state, 'paused');
    assert.ok(!existsSync(result.plan.workDir), 'the work area is released after a verified restore');
    return { result, markers: await queryRestoredMarkers(result.destination, result.plan.pgVersion) };
  }

  it('restores from the newer backup a target after it, with exactly the rows committed before the target', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const { result, markers } = await restore(target);
    assert.equal(result.plan.backupId, fixture.backups[1].id);
    assert.deepEqual(markers, labelsUpTo(fixture, target));
    assert.ok(markers.includes('after-b2-1') && !markers.includes('after-b2-2'));
    assert.ok(result.plan.walSegments < archiveSegments, 'only the WAL up to the target is fetched');
    assert.ok(result.verify.lastReplayedCommit! <= target);
  });

  it('uses the older backup for a target between the two backups', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { result, markers } = await restore(target);
    assert.equal(result.plan.backupId, fixture.backups[0].id);
    assert.deepEqual(markers, labelsUpTo(fixture, target));
    assert.ok(markers.includes('after-b1-1') && !markers.includes('after-b1-2'));
  });

  it("uses the older backup for a target inside the newer backup's start-end window", async () => {
    const { fixture } = harness;
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
    const { fixture } = harness;
    const tail = marker(fixture, 'tail');
    const target = fromEpochMicros(toEpochMicros(tail.committedAt) + 3600 * 1_000_000);
    const destination = harness.newDestination();
    const { type, message } = await harness.expectFailure(harness.inputFor(target, destination));
    assert.equal(type, 'TargetUnreachable');
    const reachable = /last archived commit is at (\S+Z): choose a target before it/.exec(message);
    assert.ok(reachable, message);
    assert.ok(reachable[1] >= tail.committedAt && reachable[1] < target, `${reachable[1]} should be the last commit, at or after the tail marker`);
    assert.ok(!existsSync(destination), 'the destination is not created');
    const downloads = harness.workArea({ server: fixture.server, destination }).downloads;
    assert.ok(!existsSync(downloads), 'no base backup byte was downloaded');
  });

  it('refuses a non-empty destination and leaves it untouched', async () => {
    const { fixture } = harness;
    const destination = harness.newDestination();
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'precious.txt'), 'do not lose me');
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const { type, message } = await harness.expectFailure(harness.inputFor(target, destination));
    assert.equal(type, 'DestinationNotEmpty');
    assert.match(message, /is not empty/);
    assert.deepEqual(await readdir(destination), ['precious.txt']);
    assert.equal(await readFile(join(destination, 'precious.txt'), 'utf8'), 'do not lose me');
  });

  it('rejects a target time without a UTC offset at the command line, showing an accepted form', async () => {
    const destination = harness.newDestination();
    const args = [join(REPO_ROOT, 'bin', 'pitr.js'), 'restore', '--server', harness.fixture.server, '--target-time', '2026-11-24 22:08:46', '--dest', destination];
    const outcome = await run(process.execPath, args, { env: process.env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /no UTC offset/);
    assert.match(outcome.stderr, /\+00|Z"/);
    assert.ok(!existsSync(destination));
  });
});
