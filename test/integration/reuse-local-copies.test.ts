// Issue 13: a restore into a new destination reuses what a held restore of the same server and backup already
// has on the worker's disk (its extracted base backup, linked; backup.info and the WAL its journal recorded,
// copied) instead of downloading and extracting it again. Checked by the step results, by counting GETs through the S3 proxy, and by SQL on the
// result; the held restore still answers and finishes afterwards. The same restore is then run again with no
// held restore left (nothing to copy) and both times are printed: on this small fixture over loopback S3.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PitrClient } from '../../src/pitr-client';
import { statSync } from 'node:fs';
import { runCommand } from '../../src/io/run-command';
import { userIds } from '../../src/io/user-ids';
import type { RestoreResult } from '../../src/shared';
import type { UtcMicros } from '../../src/core/timestamp';
import { between, labelsUpTo, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { heldMarkers, queryHeld, queryRestoredMarkers } from '../support/restored-cluster';
import { startS3FaultProxy, type S3FaultProxy } from '../support/s3-fault-proxy';
import { killStrayProcesses } from '../support/worker-process';

/**
 * GETs of base backup tarballs (data.tar*, tablespace tars) through the proxy after `since`, other than the
 * plan's disk check, which reads each gzip tarball's 8-byte trailer (src/io/base-size-estimate.ts): downloads.
 */
function tarballGets(proxy: S3FaultProxy, since: number): number {
  return proxy.requests.filter((r) => r.at > since && r.method === 'GET' && /\/base\/[^/?]+\/[^/?]+\.tar/.test(r.url) && r.bytes > 8).length;
}

/** GETs of WAL segments (not listings) after `since`. */
function walGets(proxy: S3FaultProxy, since: number): number {
  return proxy.requests.filter((r) => r.at > since && r.method === 'GET' && /\/wals\/[0-9A-F]{16}\/[0-9A-F]{24}/.test(r.url)).length;
}

/** Every file below `dir`: path, inode, link count, size, mtime (find walks it as root without following a link). */
async function fileListing(dir: string): Promise<string> {
  const { stdout } = await runCommand('find', [dir, '-type', 'f', '-printf', '%P %i %n %s %T@\\n']);
  return stdout.split('\n').sort().join('\n');
}

/** How long the base step (download and extraction) took, from the restore's history. */
async function baseStepMs(pitr: PitrClient, restoreId: string): Promise<number | undefined> {
  const { record } = await pitr.status(restoreId);
  return record?.steps.find((step) => step.name === 'syncAndExtractBaseBackup')?.durationMs;
}

/** A harness whose worker reaches S3 through the counting proxy, opened for one describe block; its servers are stopped after. */
function proxiedSuite(options: { seed: number; server?: string; bytesPerSecond?: number }) {
  const suite = { destinations: [] as string[] } as { harness: RestoreHarness; pitr: PitrClient; proxy: S3FaultProxy; destinations: string[] };
  before(async () => {
    suite.proxy = await startS3FaultProxy({ seed: options.seed, bytesPerSecond: options.bytesPerSecond ?? 0 });
    const endpoint = { AWS_ENDPOINT_URL: suite.proxy.endpoint, AWS_ENDPOINT_URL_S3: suite.proxy.endpoint };
    suite.harness = await openRestoreHarness({ ...(options.server ? { server: options.server } : {}), s3Env: { ...process.env, ...endpoint } });
    suite.pitr = new PitrClient(suite.harness.client, suite.harness.client.options.namespace);
  });
  after(async () => {
    await killStrayProcesses(suite.destinations);
    await suite.harness?.close();
    await suite.proxy?.stop();
  });
  return suite;
}

/** Starts a restore held at `target` into a new destination of the suite's, and waits until it is held. */
async function startHeld(suite: ReturnType<typeof proxiedSuite>, target: UtcMicros) {
  const input = suite.harness.inputFor(target, undefined, { hold: true });
  suite.destinations.push(input.destination);
  const handle = await suite.harness.start(input);
  return { input, handle, held: await suite.pitr.waitUntilHeld(handle.workflowId, { pollMs: 500 }) };
}

describe('a restore reuses the extracted base backup and the WAL a held restore of the same backup has on disk', function () {
  this.timeout(600_000);
  // REUSE_BENCH_BYTES_PER_SECOND throttles S3 (all responses together), to see the saving with a bucket
  // farther away than loopback; unset, S3 is as fast as the local versitygw.
  const suite = proxiedSuite({ seed: 13, bytesPerSecond: Number(process.env.REUSE_BENCH_BYTES_PER_SECOND ?? 0) });

  it('links the held restore\'s extracted base backup, copies its WAL, gives the right rows, and leaves the held restore working', async () => {
    const { harness, pitr, proxy, destinations } = suite;
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { input: heldInput, handle: heldHandle, held } = await startHeld(suite, target);

    // With reuse: the held restore's work area is there.
    const second = harness.inputFor(target);
    destinations.push(second.destination);
    // pitr plan into the new destination counts no disk for what would be linked (its dry run reads WAL of its own: before `since`).
    const planned = await pitr.plan({ server: second.server, bucket: second.bucket, prefix: second.prefix, taskQueue: harness.settings.taskQueue, targetTime: target, destination: second.destination });
    assert.ok(planned.reachable && planned.needs);
    const homeParts = new Map(planned.needs.barmanHome.parts.map((p) => [p.label.replace(/ \(.*/, ''), p]));
    assert.equal(homeParts.get('downloaded tarballs')?.bytes, 0);
    assert.match(homeParts.get('extracted base backup')!.label, /1 directory linked from another restore on this host: no new space/);
    assert.equal(homeParts.get('extracted base backup')!.bytes, 0);
    const heldData = join(harness.workArea(heldInput).barmanHome, heldInput.server, 'base');
    const heldFilesBefore = await fileListing(heldData);
    const since = Date.now();
    const t0 = performance.now();
    const secondHandle = await harness.start(second);
    const reused: RestoreResult = await secondHandle.result();
    const withReuseMs = performance.now() - t0;
    assert.equal(tarballGets(proxy, since), 0, 'no base backup tarball was downloaded again');
    assert.equal(reused.base.bytesFetched, 0, 'the base step fetched nothing from S3');
    assert.equal(reused.base.reused?.objects, reused.base.objects, 'every base object (backup.info and the tarballs) was copied from the held restore');
    assert.equal(reused.base.reused?.bytes, reused.base.bytesTotal);
    assert.equal(reused.base.reused?.linkedDirectories, 1, "the held restore's extracted data directory was linked, not extracted again");
    // The plan step reads the planned WAL with pg_waldump before the WAL step, copying it from the held restore
    // too (src/io/wal-segments.ts downloadWal asks the same local copies): no segment is downloaded again.
    assert.equal(reused.wal.bytesFetched, 0);
    const walRefetched = walGets(proxy, since);
    assert.equal(walRefetched, 0, 'no WAL segment was downloaded again, by the plan or the WAL step');
    assert.deepEqual(await queryRestoredMarkers(second.destination, fixture.pgMajor), labelsUpTo(fixture, target), 'the copy restores the right rows');
    // The files both restores shared while the new one ran (it freed its work area, and its names, at the end):
    // neither its Barman recovery nor its verify wrote to them.
    assert.equal(await fileListing(heldData), heldFilesBefore, 'the same files (inodes), link counts, sizes and mtimes');

    // The held restore was not touched: its server answers, its status is held, and it finishes.
    assert.equal(await queryHeld(harness, held.server, 'select pg_is_in_recovery()'), 't', 'the held server still answers, paused in recovery');
    assert.equal((await pitr.status(heldHandle.workflowId)).phase, 'Held');
    const finished = await pitr.finish(heldHandle.workflowId, 'stop');
    assert.equal(finished.finishedWith, 'stop');
    assert.deepEqual(await queryRestoredMarkers(heldInput.destination, fixture.pgMajor), labelsUpTo(fixture, target));

    // Without reuse: the same restore, no held restore left to copy from.
    const since2 = Date.now();
    const third = harness.inputFor(target);
    destinations.push(third.destination);
    const t1 = performance.now();
    const thirdHandle = await harness.start(third);
    const downloaded: RestoreResult = await thirdHandle.result();
    const withoutReuseMs = performance.now() - t1;
    assert.equal(downloaded.base.reused, undefined, 'nothing to copy: the held restore freed its work area');
    assert.ok(tarballGets(proxy, since2) > 0 && downloaded.base.bytesFetched === downloaded.base.bytesTotal);
    assert.deepEqual(await queryRestoredMarkers(third.destination, fixture.pgMajor), labelsUpTo(fixture, target));
    const stepMs = (r: RestoreResult) => JSON.stringify(r.base) + ' ' + JSON.stringify(r.wal);
    console.log(`      with reuse: ${withReuseMs.toFixed(0)} ms (${stepMs(reused)})`);
    console.log(`      without reuse: ${withoutReuseMs.toFixed(0)} ms (${stepMs(downloaded)})`);
    const withBase = await baseStepMs(pitr, secondHandle.workflowId);
    const withoutBase = await baseStepMs(pitr, thirdHandle.workflowId);
    console.log(`      REUSE_TIMING withReuseMs=${withReuseMs.toFixed(0)} withoutReuseMs=${withoutReuseMs.toFixed(0)} baseStepWithReuseMs=${withBase} baseStepWithoutReuseMs=${withoutBase} baseBytes=${reused.base.bytesTotal} walObjects=${reused.wal.objects} walGetsWithReuse=${walRefetched}`);
  });
  it('two held restores sharing linked files: advancing, then finishing, the one lent from leaves the other whole', async () => {
    const { harness, pitr } = suite;
    const { fixture } = harness;
    const first = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const later = between(marker(fixture, 'after-b1-3'), marker(fixture, 'during-b2-1'));
    const { handle: lender } = await startHeld(suite, first);
    const { input: borrowerInput, handle: borrower, held: borrowerHeld } = await startHeld(suite, first);

    const { uid: barmanUid } = await userIds(harness.settings.barmanUser);
    const borrowerData = join(harness.workArea(borrowerInput).barmanHome, borrowerInput.server, 'base', borrowerHeld.plan.backupId, 'data');
    const sharedFile = join(borrowerData, 'PG_VERSION');
    // Two names at least: more when an earlier restore on this machine (a leftover) lent to both.
    const names = statSync(sharedFile).nlink;
    assert.ok(names >= 2, 'shared with the first held restore');

    // The lender's advance takes its work area back before root writes in it: not the files it shares.
    const advanced = await pitr.advance(lender.workflowId, { kind: 'time', utc: later, given: later });
    assert.deepEqual(await heldMarkers(harness, advanced.server), labelsUpTo(fixture, later));
    assert.equal(statSync(sharedFile).uid, barmanUid, 'still the Barman user\'s after the other restore\'s advance');
    const listing = await fileListing(borrowerData);
    // Finishing the lender frees its work area: its names go, the borrower's stay.
    await pitr.finish(lender.workflowId, 'stop');
    assert.equal(statSync(sharedFile).nlink, names - 1);
    assert.equal((await fileListing(borrowerData)).replaceAll(/ (\d+) (\d+ [\d.]+)$/gm, (_, n: string, rest: string) => ` ${Number(n) + 1} ${rest}`), listing, 'the same files, sizes and mtimes');

    // The borrower goes on from its own files: an advance, then a promotion.
    const borrowerAdvanced = await pitr.advance(borrower.workflowId, { kind: 'time', utc: later, given: later });
    assert.deepEqual(await heldMarkers(harness, borrowerAdvanced.server), labelsUpTo(fixture, later));
    const finished = await pitr.finish(borrower.workflowId, 'promote');
    assert.equal(finished.finishedWith, 'promote');
    assert.equal(finished.base.reused?.linkedDirectories, 1, 'the second held restore had linked the first one\'s data directory');
    assert.deepEqual(await queryRestoredMarkers(borrowerInput.destination, fixture.pgMajor), labelsUpTo(fixture, later));
  });
});

describe('beside a held restore of an archive whose WAL Barman cannot read as archived (zstd), the WAL is reused too', function () {
  this.timeout(600_000);
  const suite = proxiedSuite({ seed: 14, server: 'c319-lz4-zstd-15' });

  // The held restore's stage step decompressed its zstd WAL for Barman: what its download journal proves is the
  // archived file it keeps beside, not the plain one Barman reads.
  it('downloads no WAL segment and no tarball again, links the lz4 base backup, and gives the right rows', async () => {
    const { harness, pitr, proxy, destinations } = suite;
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b1-1'), marker(fixture, 'after-b1-2'));
    const { input: heldInput, handle: heldHandle } = await startHeld(suite, target);
    try {
      const since = Date.now();
      const input = harness.inputFor(target);
      destinations.push(input.destination);
      const result: RestoreResult = await (await harness.start(input)).result();
      assert.equal(tarballGets(proxy, since), 0);
      assert.equal(result.base.reused?.linkedDirectories, 1);
      assert.equal(walGets(proxy, since), 0, 'no WAL segment was downloaded again');
      assert.equal(result.wal.bytesFetched, 0);
      assert.deepEqual(await queryRestoredMarkers(input.destination, fixture.pgMajor), labelsUpTo(fixture, target));
    } finally {
      await pitr.finish(heldHandle.workflowId, 'stop');
    }
    assert.deepEqual(await queryRestoredMarkers(heldInput.destination, fixture.pgMajor), labelsUpTo(fixture, target), 'the held restore is intact');
  });
});
