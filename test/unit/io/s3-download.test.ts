// The download engine against a real S3 server (versitygw from the local stack), never a mock.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { DiskFullError } from '../../../src/io/disk-full';
import { openJournal, type DownloadJournal } from '../../../src/io/download-journal';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { toActivityFailure } from '../../../src/activities/failures';
import { classifyS3Error, createS3Client } from '../../../src/io/s3-client';
import { FailureTypes, RestoreError } from '../../../src/shared';
import { startS3FaultProxy, type S3FaultProxy } from '../../support/s3-fault-proxy';
import {
  DownloadIntegrityError,
  downloadObjects,
  etagIsMd5,
  type DownloadItem,
  type DownloadOptions,
} from '../../../src/io/s3-download';
import { useTestBucket } from '../../support/s3-test-bucket';

const MiB = 1024 * 1024;

describe('s3-download (real S3)', function () {
  this.timeout(60_000);
  const bucket = useTestBucket('download');

  const small = randomBytes(100_000);
  const large = randomBytes(5 * MiB + 12_345);
  const empty = Buffer.alloc(0);
  const etags: Record<string, string> = {};

  let dir: string;
  let journal: DownloadJournal;

  before(async () => {
    etags.small = await bucket.put('base/small.bin', small);
    etags.large = await bucket.put('base/large.bin', large);
    etags.empty = await bucket.put('base/empty.bin', empty);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pitr-dl-'));
    journal = await openJournal(join(dir, 'journal.jsonl'));
  });
  afterEach(async () => {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  function item(name: 'small' | 'large' | 'empty', localName = `${name}.bin`): DownloadItem {
    const size = { small: small.length, large: large.length, empty: 0 }[name];
    return { key: `base/${name}.bin`, size, etag: etags[name]!, localPath: join(dir, 'out', 'nested', localName) };
  }

  const opts = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({ journal, partSize: 1 * MiB, ...extra });

  it('downloads small, large (ranged, multi-chunk) and empty objects byte for byte', async () => {
    const items = [item('small'), item('large'), item('empty')];
    const reports: number[] = [];
    const result = await downloadObjects(bucket.s3, bucket.name, items, opts({ onProgress: (p) => reports.push(p.bytesDone) }));
    assert.deepEqual(result, { objects: 3, objectsSkipped: 0, bytesFetched: small.length + large.length, bytesTotal: small.length + large.length });
    assert.deepEqual(await readFile(items[0]!.localPath), small);
    assert.deepEqual(await readFile(items[1]!.localPath), large);
    assert.deepEqual(await readFile(items[2]!.localPath), empty);
    for (const i of items) {
      assert.equal(existsSync(`${i.localPath}.part`), false);
      assert.equal(existsSync(`${i.localPath}.part.json`), false);
    }
    assert.equal(reports.at(-1), small.length + large.length, 'the final progress report is complete');
  });

  it('skips everything on a second call', async () => {
    const items = [item('small'), item('large'), item('empty')];
    await downloadObjects(bucket.s3, bucket.name, items, opts());
    let last: { filesDone: number; bytesDone: number } | undefined;
    const again = await downloadObjects(bucket.s3, bucket.name, items, opts({ onProgress: (p) => (last = p) }));
    assert.equal(again.objectsSkipped, 3);
    assert.equal(again.bytesFetched, 0);
    assert.deepEqual(last && [last.filesDone, last.bytesDone], [3, small.length + large.length]);
  });

  it('fetches again what the journal lists but is gone from disk', async () => {
    const items = [item('small')];
    await downloadObjects(bucket.s3, bucket.name, items, opts());
    await rm(items[0]!.localPath);
    const again = await downloadObjects(bucket.s3, bucket.name, items, opts());
    assert.equal(again.objectsSkipped, 0);
    assert.equal(again.bytesFetched, small.length);
    assert.deepEqual(await readFile(items[0]!.localPath), small);
  });

  it('resumes a large object from the chunks already on disk (.part + sidecar)', async () => {
    const it = item('large');
    await mkdir(join(dir, 'out', 'nested'), { recursive: true });
    // Chunks 0 and 2 are on disk (1 MiB each); the rest of the file is garbage that must be overwritten.
    const part = Buffer.from(randomBytes(large.length));
    large.copy(part, 0, 0, MiB);
    large.copy(part, 2 * MiB, 2 * MiB, 3 * MiB);
    await writeFile(`${it.localPath}.part`, part);
    await writeFile(`${it.localPath}.part.json`, JSON.stringify({ etag: it.etag, size: it.size, partSize: MiB, done: [0, 2] }));

    const result = await downloadObjects(bucket.s3, bucket.name, [it], opts());
    assert.equal(result.bytesFetched, large.length - 2 * MiB);
    assert.deepEqual(await readFile(it.localPath), large);
    assert.equal(existsSync(`${it.localPath}.part.json`), false);
  });

  it('catches damaged chunks of a resumed .part by the MD5 ETag, discards them, and recovers on the next call', async () => {
    const it = item('large');
    await mkdir(join(dir, 'out', 'nested'), { recursive: true });
    // The sidecar says chunk 1 is on disk, but its bytes are wrong (a lost write, a bad disk).
    await writeFile(`${it.localPath}.part`, randomBytes(large.length));
    await writeFile(`${it.localPath}.part.json`, JSON.stringify({ etag: it.etag, size: it.size, partSize: MiB, done: [1] }));

    await assert.rejects(downloadObjects(bucket.s3, bucket.name, [it], opts()), (err: unknown) => {
      assert.ok(err instanceof DownloadIntegrityError);
      assert.match(err.message, new RegExp(`s3://${bucket.name}/base/large\\.bin: MD5 [0-9a-f]{32} does not match ETag ${it.etag}`));
      return true;
    });
    assert.equal(existsSync(`${it.localPath}.part`), false);
    assert.equal(existsSync(`${it.localPath}.part.json`), false);
    assert.equal(existsSync(it.localPath), false);

    const retry = await downloadObjects(bucket.s3, bucket.name, [it], opts());
    assert.equal(retry.bytesFetched, large.length);
    assert.deepEqual(await readFile(it.localPath), large);
  });

  it('starts over when the object changed since the .part was written (new etag)', async () => {
    const key = 'base/changing.bin';
    const v1 = randomBytes(3 * MiB);
    const etag1 = await bucket.put(key, v1);
    const localPath = join(dir, 'changing.bin');
    await writeFile(`${localPath}.part`, v1);
    await writeFile(`${localPath}.part.json`, JSON.stringify({ etag: etag1, size: v1.length, partSize: MiB, done: [0, 1] }));

    const v2 = randomBytes(3 * MiB);
    const etag2 = await bucket.put(key, v2);
    assert.notEqual(etag2, etag1);
    const result = await downloadObjects(bucket.s3, bucket.name, [{ key, size: v2.length, etag: etag2, localPath }], opts());
    assert.equal(result.bytesFetched, v2.length, 'nothing of the old version is reused');
    assert.deepEqual(await readFile(localPath), v2);
  });

  it('fails, retryably, when the object is replaced after it was listed (If-Match)', async () => {
    const key = 'base/replaced.bin';
    const before = randomBytes(2 * MiB);
    const etagBefore = await bucket.put(key, before);
    await bucket.put(key, randomBytes(2 * MiB));
    const localPath = join(dir, 'replaced.bin');
    const err = await downloadObjects(bucket.s3, bucket.name, [{ key, size: before.length, etag: etagBefore, localPath }], opts()).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.equal((err as Error).name, 'PreconditionFailed');
    const c = classifyS3Error(err);
    assert.equal(c.retryable, true);
    assert.match(c.message, new RegExp(`s3://${bucket.name}/${key}`));
  });

  it('discards a download whose size does not match the listing, with a retryable error naming the object', async () => {
    const it = { ...item('small'), size: small.length - 1 };
    await assert.rejects(downloadObjects(bucket.s3, bucket.name, [it], opts()), (err: unknown) => {
      assert.ok(err instanceof DownloadIntegrityError);
      assert.equal(err.retryable, true);
      assert.match(err.message, /base\/small\.bin: expected 99999 bytes, got 100000/);
      assert.equal(classifyS3Error(err).retryable, true);
      return true;
    });
    assert.equal(existsSync(`${it.localPath}.part`), false);
    assert.equal(existsSync(it.localPath), false);
  });

  it('on abort stops, keeps a resumable .part, and the next call fetches only the rest', async () => {
    const it = item('large');
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const run = downloadObjects(
      bucket.s3,
      bucket.name,
      [it],
      opts({
        partConcurrency: 1,
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.bytesDone >= 2.5 * MiB) controller.abort(reason);
        },
      }),
    );
    await assert.rejects(run, (err) => err === reason);
    assert.ok(existsSync(`${it.localPath}.part`));
    const sidecar = JSON.parse(await readFile(`${it.localPath}.part.json`, 'utf8')) as { done: number[] };
    assert.deepEqual(sidecar.done, [0, 1], 'the two chunks completed before the abort are recorded');
    assert.equal(existsSync(it.localPath), false);

    const resumed = await downloadObjects(bucket.s3, bucket.name, [it], opts());
    assert.equal(resumed.bytesFetched, large.length - 2 * MiB);
    assert.deepEqual(await readFile(it.localPath), large);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('early'));
    await assert.rejects(downloadObjects(bucket.s3, bucket.name, [item('small')], opts({ signal: controller.signal })), /early/);
    assert.equal(existsSync(item('small').localPath + '.part'), false);
  });

  it('downloads many objects with bounded concurrency', async () => {
    const bodies = Array.from({ length: 30 }, (_, i) => randomBytes(1000 + i));
    const items: DownloadItem[] = [];
    for (const [i, body] of bodies.entries()) {
      const key = `wals/0000000100000000/${String(i).padStart(24, '0')}`;
      items.push({ key, size: body.length, etag: await bucket.put(key, body), localPath: join(dir, 'wals', String(i)) });
    }
    const result = await downloadObjects(bucket.s3, bucket.name, items, opts({ concurrency: 3 }));
    assert.equal(result.objects, 30);
    for (const [i, body] of bodies.entries()) {
      assert.equal(createHash('md5').update(await readFile(items[i]!.localPath)).digest('hex'), createHash('md5').update(body).digest('hex'));
    }
  });

  describe('tee: the bytes in order while they download', () => {
    /** A tee that collects what it is given, slowly (the reader must wait for it, not drop bytes). */
    function collector(delayMs = 0): { tee: Writable; bytes: () => Buffer; ended: () => boolean; whenEnded: Promise<void>; error: () => Error | undefined } {
      const chunks: Buffer[] = [];
      let ended = false;
      let error: Error | undefined;
      let markEnded!: () => void;
      const whenEnded = new Promise<void>((resolve) => (markEnded = resolve));
      const tee = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk);
          setTimeout(cb, delayMs);
        },
        final(cb) {
          ended = true;
          markEnded();
          cb();
        },
      });
      tee.on('error', (e) => (error = e));
      return { tee, bytes: () => Buffer.concat(chunks), ended: () => ended, whenEnded, error: () => error };
    }

    it('gives a multi-part object and a small one to their tees byte for byte, and ends them', async () => {
      const bigTee = collector(1);
      const smallTee = collector();
      const result = await downloadObjects(bucket.s3, bucket.name, [{ ...item('large'), tee: bigTee.tee }, { ...item('small'), tee: smallTee.tee }], opts());
      assert.equal(result.bytesFetched, large.length + small.length);
      await Promise.all([bigTee.whenEnded, smallTee.whenEnded]); // both ended, after the writes still queued in them
      assert.ok(bigTee.bytes().equals(large), 'the large object arrives whole and in order');
      assert.ok(smallTee.bytes().equals(small));
    });

    it('after an abort, the next call gives the tee every byte: the chunks on disk, then the rest', async () => {
      const it = item('large');
      const controller = new AbortController();
      const first = collector();
      await assert.rejects(
        downloadObjects(bucket.s3, bucket.name, [{ ...it, tee: first.tee }], opts({
          partConcurrency: 1,
          signal: controller.signal,
          progressIntervalMs: 0,
          onProgress: (p) => p.bytesDone >= 2.5 * MiB && controller.abort(new Error('stop')),
        })),
        /stop/,
      );
      assert.equal(first.ended(), false, 'an aborted download never ends its tee');
      const second = collector();
      const resumed = await downloadObjects(bucket.s3, bucket.name, [{ ...it, tee: second.tee }], opts());
      assert.equal(resumed.bytesFetched, large.length - 2 * MiB, 'only the missing chunks are fetched');
      assert.ok(second.bytes().equals(large));
    });

    it('reads an object already complete from its file', async () => {
      await downloadObjects(bucket.s3, bucket.name, [item('large')], opts());
      const again = collector();
      const result = await downloadObjects(bucket.s3, bucket.name, [{ ...item('large'), tee: again.tee }], opts());
      assert.equal(result.bytesFetched, 0);
      await again.whenEnded; // ended, after the writes still queued in it
      assert.ok(again.bytes().equals(large));
    });

    it('completes the call when the tee of an object already complete stops reading', async () => {
      await downloadObjects(bucket.s3, bucket.name, [item('large')], opts());
      const reader = collector(1);
      setTimeout(() => reader.tee.destroy(), 5);
      const result = await downloadObjects(bucket.s3, bucket.name, [{ ...item('large'), tee: reader.tee }], opts());
      assert.equal(result.objectsSkipped, 1);
      assert.ok(reader.bytes().length < large.length, 'the stopped reader was given no more');
    });

    it('destroys the tee with the error when the download fails its checks', async () => {
      const bad = collector();
      const it = { ...item('small'), size: small.length - 1, tee: bad.tee };
      await assert.rejects(downloadObjects(bucket.s3, bucket.name, [it], opts()), DownloadIntegrityError);
      assert.ok(bad.tee.destroyed);
      await new Promise((resolve) => setImmediate(resolve)); // 'error' follows destroy() on the next tick
      assert.match(String(bad.error()?.message), /small\.bin: (MD5 .* does not match ETag|expected 99999 bytes)/);
    });

    it('goes on downloading and verifying when the tee stops reading', async () => {
      const reader = collector(1);
      const it = { ...item('large'), tee: reader.tee };
      setTimeout(() => reader.tee.destroy(), 5);
      const result = await downloadObjects(bucket.s3, bucket.name, [it], opts());
      assert.equal(result.bytesFetched, large.length);
      assert.deepEqual(await readFile(it.localPath), large, 'the object is complete and verified on disk');
      assert.ok(reader.bytes().length < large.length, 'the stopped reader was given no more');
    });
  });

  it('a full disk while recording finished objects in the journal: the next call fetches nothing of what is on disk', async () => {
    const items = [item('small'), item('large')];
    // The journal's append hits ENOSPC (the extraction beside it filled the disk) after each object was verified and put in place.
    const fullDisk: DownloadJournal = {
      file: journal.file,
      isComplete: (i) => journal.isComplete(i),
      recordAt: (path) => journal.recordAt(path),
      markComplete: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      close: async () => undefined,
    };
    await assert.rejects(downloadObjects(bucket.s3, bucket.name, items, opts({ journal: fullDisk })), DiskFullError);
    const tee = new PassThrough();
    const teed: Buffer[] = [];
    tee.on('data', (b: Buffer) => teed.push(b));
    const again = await downloadObjects(bucket.s3, bucket.name, [items[0]!, { ...items[1]!, tee }], opts());
    assert.equal(again.bytesFetched, 0, 'nothing verified and on disk is fetched again');
    assert.deepEqual(await readFile(items[0]!.localPath), small);
    assert.deepEqual(await readFile(items[1]!.localPath), large);
    assert.ok(Buffer.concat(teed).equals(large), 'the tee gets the object from its file');
    for (const i of items) assert.equal(existsSync(`${i.localPath}.part.json`), false);
    const third = await downloadObjects(bucket.s3, bucket.name, items, opts());
    assert.equal(third.objectsSkipped, 2, 'now recorded in the journal');
  });

  describe('an ETag that is not the MD5 of the bytes S3 sends', () => {
    // The proxy damages the same bytes of every copy it is told to: the bucket's object does not match its
    // ETag (damaged in storage, or a server whose single-part ETags are not MD5s), as far as a client can tell.
    let proxy: S3FaultProxy;
    let s3: ReturnType<typeof createS3Client>;
    before(async () => {
      proxy = await startS3FaultProxy({ target: bucket.settings.endpoint });
      s3 = createS3Client({ ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint });
    });
    after(async () => {
      s3?.destroy();
      await proxy?.stop();
    });

    for (const [shape, size, rangePrefix] of [
      ['whole (one GET, checked by the SDK)', 300_000, ''],
      ['ranged (chunks)', 3 * MiB + 7, `bytes=${MiB}-`],
    ] as const) {
      it(`${shape}: a fresh copy that fails the same way is a non-retryable EtagMismatch, not a retry forever`, async () => {
        const key = `etag/${size}.bin`;
        const body = randomBytes(size);
        const etag = await bucket.put(key, body);
        assert.ok(etagIsMd5(etag), 'a single-part upload has an MD5 ETag');
        const it = { key, size, etag, localPath: join(dir, 'etag', `${size}.bin`) };
        proxy.set({ corruptBodies: 3, corruptKeyContains: key, corruptRangePrefix: rangePrefix });
        try {
          // First copy: could be damage in transit; discarded, retryable.
          const first = await downloadObjects(s3, bucket.name, [it], opts()).then(() => assert.fail('expected a failure'), (e: unknown) => e);
          assert.ok(first instanceof DownloadIntegrityError, String(first));
          assert.equal(classifyS3Error(first).retryable, true);
          // Second copy, the same bytes: the object itself does not match its ETag. Retrying cannot help.
          const second = await downloadObjects(s3, bucket.name, [it], opts()).then(() => assert.fail('expected a failure'), (e: unknown) => e);
          assert.ok(second instanceof RestoreError, String(second));
          assert.equal(second.type, FailureTypes.EtagMismatch);
          // One GET: the SDK's own check of the object's checksum (x-amz-checksum-*) refuses the copy first; chunks: the MD5 ETag.
          const copy = shape.startsWith('whole') ? `x-amz-checksum-\\w+ \\S+\\), but S3 gives their checksum as \\S+` : `MD5 [0-9a-f]{32}\\), but the object's ETag is ${etag}`;
          assert.match(second.message, new RegExp(`^s3://${bucket.name}/${key}: two downloads gave the same ${size} bytes \\(${copy}: the object in the bucket does not match`));
          assert.match(second.message, /downloading it again cannot help/);
          const failure = toActivityFailure(second) as { type?: string; nonRetryable?: boolean };
          assert.deepEqual([failure.type, failure.nonRetryable], [FailureTypes.EtagMismatch, true]);
          assert.equal(existsSync(it.localPath), false);
          assert.equal(existsSync(`${it.localPath}.part`), false, 'the mismatching download is not kept');
          assert.equal(proxy.counters.corrupted >= 2, true);
        } finally {
          proxy.set({ corruptBodies: 0 });
        }
        // Once the object matches its ETag again (e.g. uploaded anew with the same content), it downloads.
        const ok = await downloadObjects(s3, bucket.name, [it], opts());
        assert.equal(ok.bytesFetched, size);
        assert.deepEqual(await readFile(it.localPath), body);
      });
    }

    it('a copy damaged once, then a good copy: the retry succeeds (damage in transit is not called a mismatch)', async () => {
      const key = 'etag/once.bin';
      const body = randomBytes(300_000);
      const it = { key, size: body.length, etag: await bucket.put(key, body), localPath: join(dir, 'etag', 'once.bin') };
      proxy.set({ corruptBodies: 1, corruptKeyContains: key, corruptRangePrefix: '' });
      try {
        await assert.rejects(downloadObjects(s3, bucket.name, [it], opts()), DownloadIntegrityError);
        const ok = await downloadObjects(s3, bucket.name, [it], opts());
        assert.equal(ok.bytesFetched, body.length);
        assert.deepEqual(await readFile(it.localPath), body);
        assert.deepEqual((await readdir(join(dir, 'etag'))).sort(), ['once.bin'], 'nothing of the first copy is left');
      } finally {
        proxy.set({ corruptBodies: 0 });
      }
    });

    it('a multipart ETag ("-N") is no MD5: never compared as one, the object downloads', async () => {
      const key = 'etag/multipart.bin';
      const parts = [randomBytes(5 * MiB), randomBytes(1000)];
      const { UploadId } = await bucket.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: key }));
      const done = [];
      for (const [i, part] of parts.entries()) {
        const { ETag } = await bucket.s3.send(new UploadPartCommand({ Bucket: bucket.name, Key: key, UploadId, PartNumber: i + 1, Body: part }));
        done.push({ ETag, PartNumber: i + 1 });
      }
      const { ETag } = await bucket.s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket.name, Key: key, UploadId, MultipartUpload: { Parts: done } }));
      const etag = (ETag ?? '').replace(/"/g, '');
      assert.match(etag, /-2$/);
      assert.equal(etagIsMd5(etag), false);
      const whole = Buffer.concat(parts);
      for (const partSize of [MiB, 16 * MiB]) {
        const it = { key, size: whole.length, etag, localPath: join(dir, 'etag', `multipart-${partSize}.bin`) };
        await downloadObjects(bucket.s3, bucket.name, [it], opts({ partSize }));
        assert.deepEqual(await readFile(it.localPath), whole);
      }
    });

    it('etagIsMd5: 32 hex digits only', () => {
      assert.equal(etagIsMd5('9e107d9d372bb6826bd81d3542a419d6'), true);
      assert.equal(etagIsMd5('9E107D9D372BB6826BD81D3542A419D6'), true);
      for (const etag of ['9e107d9d372bb6826bd81d3542a419d6-2', 'abc', '', 'W/9e107d9d372bb6826bd81d3542a419d6', 'zz107d9d372bb6826bd81d3542a419d6', '9e107d9d372bb6826bd81d3542a419d6aa']) {
        assert.equal(etagIsMd5(etag), false, etag);
      }
    });
  });

  it('surfaces a missing object as a non-retryable NotFound naming it', async () => {
    const err = await downloadObjects(bucket.s3, bucket.name, [{ key: 'base/nope.bin', size: 10, etag: 'x', localPath: join(dir, 'nope') }], opts()).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    const c = classifyS3Error(err);
    assert.deepEqual([c.retryable, c.type], [false, 'NotFound']);
    assert.match(c.message, /base\/nope\.bin/);
  });
});
