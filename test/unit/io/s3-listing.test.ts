import assert from 'node:assert/strict';
import { listAll, listObjects } from '../../../src/io/s3-listing';
import { useTestBucket } from '../../support/s3-test-bucket';

describe('s3-listing (real S3)', function () {
  this.timeout(60_000);
  const bucket = useTestBucket('listing');
  const keys = Array.from({ length: 25 }, (_, i) => `pg/wals/0000000100000000/0000000100000000000000${i.toString(16).padStart(2, '0').toUpperCase()}.gz`);

  before(async () => {
    await Promise.all(keys.map((k, i) => bucket.put(k, `wal ${i}`)));
    await bucket.put('pg/base/20261124T220731/backup.info', 'status=DONE\n');
    await bucket.put('other/x', 'not under the prefix');
  });

  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const listed = await listAll(bucket.s3, bucket.name, 'pg/wals/', undefined, { pageSize: 10 });
    assert.deepEqual(listed.map((o) => o.key), keys);
  });

  it('reports size, unquoted ETag and last-modified time', async () => {
    const [first] = await listAll(bucket.s3, bucket.name, 'pg/base/');
    assert.ok(first);
    assert.equal(first.key, 'pg/base/20261124T220731/backup.info');
    assert.equal(first.size, 'status=DONE\n'.length);
    assert.match(first.etag, /^[0-9a-f]{32}$/);
    assert.ok(first.lastModified instanceof Date && !Number.isNaN(first.lastModified.getTime()));
  });

  it('streams lazily: stopping early fetches no further pages', async () => {
    let seen = 0;
    for await (const o of listObjects(bucket.s3, bucket.name, 'pg/wals/', undefined, { pageSize: 5 })) {
      assert.ok(o.key.startsWith('pg/wals/'));
      if (++seen === 7) break;
    }
    assert.equal(seen, 7);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop listing'));
    await assert.rejects(listAll(bucket.s3, bucket.name, 'pg/', controller.signal), /stop listing/);
  });

  it('lists nothing under an unused prefix', async () => {
    assert.deepEqual(await listAll(bucket.s3, bucket.name, 'nothing/here/'), []);
  });
});
