import assert from 'node:assert/strict';
import { findBackup, listBackupCatalog } from '../../../src/io/backup-catalog';
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
      const { backups: [backup] } = await listBackupCatalog(bucket.s3, bucket.name, '', 'parts');
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

  describe('a backup.info that cannot be used', () => {
    const good = '20261124T220817';
    const garbled = '20261125T010000';
    const huge = '20261125T020000';

    before(async () => {
      await bucket.put(`mixed/base/${good}/backup.info`, INFO('000000010000000000000026'));
      await bucket.put(`mixed/base/${good}/data.tar.gz`, 'tar');
      // A line that is not key=value, long enough that quoting it whole would flood a terminal.
      await bucket.put(`mixed/base/${garbled}/backup.info`, `status=DONE\n${'\u001b[2J'.repeat(4000)}\n`);
      await bucket.put(`mixed/base/${garbled}/data.tar.gz`, 'tar');
      // Far past anything Barman writes (a few KiB): not read into memory at all.
      await bucket.put(`mixed/base/${huge}/backup.info`, Buffer.alloc(2 * 1024 * 1024, 'a'));
    });

    it('is skipped with a short note, not a failure of the whole server', async () => {
      const catalog = await listBackupCatalog(bucket.s3, bucket.name, '', 'mixed');
      assert.deepEqual(
        catalog.backups.map((b) => b.info.backupId),
        [good],
      );
      assert.deepEqual(
        catalog.unreadable.map((u) => u.backupId),
        [garbled, huge],
      );
      const [bad, big] = catalog.unreadable;
      assert.match(bad!.problem, /line 2 is not key=value/);
      assert.ok(bad!.problem.length < 200, `the note quotes a short excerpt, not the file: ${bad!.problem.length} characters`);
      assert.ok(!bad!.problem.includes('\u001b'), 'no raw control character');
      assert.equal(bad!.infoKey, `mixed/base/${garbled}/backup.info`);
      assert.match(big!.problem, /2\.0 MiB, more than the 1\.0 MiB/);
    });

    it('still fails the backup it belongs to when that one is asked for by id', async () => {
      await assert.rejects(findBackup(bucket.s3, bucket.name, '', 'mixed', garbled), (err: unknown) => {
        assert.equal((err as { type?: string }).type, 'CorruptArchive');
        assert.match((err as Error).message, new RegExp(`backup\\.info of backup ${garbled} cannot be used: line 2 is not key=value`));
        assert.ok((err as Error).message.length < 400, 'the message quotes a short excerpt');
        return true;
      });
      assert.equal((await findBackup(bucket.s3, bucket.name, '', 'mixed', good))?.info.backupId, good);
    });
  });
});

