import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RestoreError } from '../../../src/shared';
import { refuseAmbiguousTimeline, type PlannedStop } from '../../../src/io/timeline-branches';
import { listWalArchive } from '../../../src/io/wal-archive';
import { useTestBucket } from '../../support/s3-test-bucket';

/** The history file the failover fixture's promoted copy wrote (scripts/make-fixture.sh --shape failover). */
const HISTORY_2 = '1\t0/40002F0\tbefore 2026-12-01 04:32:17.841728+00\n';

const stopAt = (stopLsn: string): PlannedStop => ({
  target: 'target 2026-12-01T04:32:56.670890Z',
  backupId: '20261201T043147',
  backupTimeline: 1,
  backupStartLsn: '0/3000028',
  stopLsn,
  stopDescription: `the first commit after it, at ${stopLsn}`,
});

describe('io/timeline-branches (real S3)', function () {
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

  const check = async (server: string, stop: PlannedStop, targetTimeline?: number) => {
    const archive = await listWalArchive(bucket.s3, bucket.name, '', server);
    return refuseAmbiguousTimeline(bucket.s3, { bucket: bucket.name, layout: { scratch }, targetTimeline }, archive.histories, stop);
  };

  const ambiguous = (err: unknown) => {
    assert.ok(err instanceof RestoreError, String(err));
    assert.equal(err.type, 'TimelineAmbiguous', err.message);
    assert.ok(err.message.includes('timeline 2 (switched at 0/40002F0)'), err.message);
    assert.ok(err.message.includes('pass --target-tli 1'), err.message);
    return true;
  };

  it('refuses a stop after the switch, reading a gzip, a bzip2 and an uncompressed history file', async () => {
    for (const server of ['gz', 'bz', 'plain']) await assert.rejects(check(server, stopAt('0/5002628')), ambiguous, server);
    assert.deepEqual(await readdir(scratch), [], 'the bzip2 history was decompressed through scratch files, removed after');
  });

  it('refuses a stop exactly at the switch LSN: the timelines hold different records there', async () => {
    await assert.rejects(check('gz', stopAt('0/40002F0')), ambiguous);
  });

  it('accepts a stop before the switch LSN', async () => {
    await check('gz', stopAt('0/40002E8'));
  });

  it('accepts any stop when the archive has no later timeline', async () => {
    await check('none', stopAt('0/5002628'));
  });

  it('reads nothing when the timeline was chosen: even an unreadable history file does not matter then', async () => {
    await check('bad', stopAt('0/5002628'), 1);
    await check('gz', stopAt('0/5002628'), 1);
  });

  it('refuses an unreadable history file, and one that decompresses past 1 MiB, as CorruptArchive', async () => {
    await assert.rejects(check('bad', stopAt('0/5002628')), (err: unknown) => {
      assert.ok(err instanceof RestoreError && err.type === 'CorruptArchive', String(err));
      assert.match(err.message, /timeline history file 00000002\.history \(bad\/wals\/00000002\.history\) cannot be used: timeline history line 1 is not/);
      return true;
    });
    await assert.rejects(check('bomb', stopAt('0/5002628')), (err: unknown) => {
      assert.ok(err instanceof RestoreError && err.type === 'CorruptArchive', String(err));
      assert.match(err.message, /decompresses to more than 1048576 bytes/);
      return true;
    });
  });
});
