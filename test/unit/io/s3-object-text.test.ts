import assert from 'node:assert/strict';
import { ObjectTooLargeError, readObjectBytes } from '../../../src/io/s3-object-text';
import { useTestBucket } from '../../support/s3-test-bucket';

describe('s3-object-text (real S3)', function () {
  this.timeout(60_000);
  const bucket = useTestBucket('text');

  before(async () => {
    await bucket.put('small.txt', 'status=DONE\n');
    await bucket.put('large.txt', Buffer.alloc(64 * 1024, 'x'));
  });

  it('reads an object within its cap whole', async () => {
    assert.equal((await readObjectBytes(bucket.s3, bucket.name, 'small.txt', 1024)).toString('utf8'), 'status=DONE\n');
    assert.equal((await readObjectBytes(bucket.s3, bucket.name, 'small.txt', 12)).toString('utf8'), 'status=DONE\n', 'exactly the cap is allowed');
  });

  it('refuses an object past its cap without reading it into memory, naming it and its size', async () => {
    await assert.rejects(readObjectBytes(bucket.s3, bucket.name, 'large.txt', 1024), (err: unknown) => {
      assert.ok(err instanceof ObjectTooLargeError, String(err));
      assert.equal(err.size, 64 * 1024);
      assert.equal(err.maxBytes, 1024);
      assert.match(err.message, new RegExp(`s3://${bucket.name}/large\\.txt is larger than 1024 bytes`));
      return true;
    });
  });
});
