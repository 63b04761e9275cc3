import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RestoreError } from '../../../src/shared';
import { readTimelineHistories } from '../../../src/io/timeline-histories';
import { listWalArchive } from '../../../src/io/wal-archive';
import { useTestBucket } from '../../support/s3-test-bucket';

/** The history file the failover fixture's promoted copy wrote (scripts/make-fixture.sh --shape failover). */
const HISTORY_2 = '1\t0/40002F0\tbefore 2026-12-01 04:32:17.841728+00\n';

describe('io/timeline-histories (real S3)', function () {
  this.timeout(60_000);
  const bucket = useTestBucket('tli');
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'pitr-tli-'));
    await bucket.put('gz/wals/00000002.history.gz', gzipSync(HISTORY_2));
    await bucket.put('gz/wals/0000000100000000/000000010000000000000004.gz', gzipSync(Buffer.alloc(64)));
    await bucket.put('bz/wals/00000002.history.bz2', execFileSync('bzip2', ['-c'], { input: HISTORY_2 }));
    await bucket.put('plain/wals/00000002.history', HISTORY_2);
    await bucket.put('none/wals/0000000100000000/000000010000000000000004', Buffer.alloc(64));
    await bucket.put('bad/wals/00000002.history', 'not a history file\n');
    await bucket.put('bomb/wals/00000002.history.gz', gzipSync(Buffer.alloc(2 * 1024 * 1024, '#')));
  });

  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const read = async (server: string) => {
    const archive = await listWalArchive(bucket.s3, bucket.name, '', server);
    return readTimelineHistories(bucket.s3, { bucket: bucket.name, layout: { scratch } }, archive.histories);
  };

  it('reads a gzip, a bzip2 and an uncompressed history file alike', async () => {
    for (const server of ['gz', 'bz', 'plain']) {
      assert.deepEqual(await read(server), [{ timeline: 2, switches: [{ parentTimeline: 1, switchLsn: '0/40002F0', reason: 'before 2026-12-01 04:32:17.841728+00' }] }], server);
    }
    assert.deepEqual(await readdir(scratch), [], 'the bzip2 history was decompressed through scratch files, removed after');
  });

  it('reads nothing when the archive has no history file', async () => {
    assert.deepEqual(await read('none'), []);
  });

  it('refuses an unreadable history file, and one that decompresses past 1 MiB, as CorruptArchive', async () => {
    await assert.rejects(read('bad'), (err: unknown) => {
      assert.ok(err instanceof RestoreError && err.type === 'CorruptArchive', String(err));
      assert.match(err.message, /timeline history file 00000002\.history \(bad\/wals\/00000002\.history\) cannot be used: timeline history line 1 is not/);
      return true;
    });
    await assert.rejects(read('bomb'), (err: unknown) => {
      assert.ok(err instanceof RestoreError && err.type === 'CorruptArchive', String(err));
      assert.match(err.message, /decompresses to more than 1048576 bytes/);
      return true;
    });
  });
});
