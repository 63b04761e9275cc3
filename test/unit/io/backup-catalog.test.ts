import assert from 'node:assert/strict';
import { listBackups } from '../../../src/io/backup-catalog';
import { useTestBucket } from '../../support/s3-test-bucket';

const INFO = (beginWal: string) =>
  [
    'begin_time=2026-11-24 21:55:42.916985+00:00',
    `begin_wal=${beginWal}`,
    'end_time=2026-11-24 21:56:01.261324+00:00',
    `end_wal=${beginWal}`,
    'status=DONE',
    'timeline=1',
    'version=150018',
    '',
  ].join('\n');

describe('backup-catalog (real S3)', function () {
  this.timeout(60_000);
  const bucket = useTestBucket('catalog');

  describe('multi-part tarballs', () => {
    const id = '20261124T220817';
    // barman.cloud.CloudUploadController._build_dest_name: "%s_%04d" past the first part, so the 10000th
    // part has five digits; a listing (or a locale-aware sort) puts data_0001 before data and 10000 before 9999.
    const parts = ['data.tar.gz', 'data_0001.tar.gz', 'data_0002.tar.gz', 'data_9999.tar.gz', 'data_10000.tar.gz'];
    const tablespace = ['16385.tar.gz', '16385_0001.tar.gz'];

    before(async () => {
      await bucket.put(`parts/base/${id}/backup.info`, INFO('000000010000000000000026'));
      for (const name of [...parts, ...tablespace]) await bucket.put(`parts/base/${id}/${name}`, name);
    });

    it('lists the parts of each directory in part order (data.tar first, then data_0001, ...), with their part number', async () => {
      const [backup] = await listBackups(bucket.s3, bucket.name, '', 'parts');
      assert.ok(backup);
      const data = backup.objects.filter((o) => o.kind === 'data');
      assert.deepEqual(
        data.map((o) => o.key.split('/').pop()),
        parts,
      );
      assert.deepEqual(
        data.map((o) => o.part),
        [0, 1, 2, 9999, 10000],
      );
      assert.deepEqual(
        backup.objects.filter((o) => o.kind === 'tablespace').map((o) => o.key.split('/').pop()),
        tablespace,
      );
    });
  });
});
