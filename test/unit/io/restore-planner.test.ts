// The planner's refusals of untrusted bucket content: backup.info files that cannot be used, and history
// files too large to be what PostgreSQL wrote. Real S3 (the local stack) for the listing.
import assert from 'node:assert/strict';
import { parseBackupInfo } from '../../../src/core/backup-info';
import type { BackupObject, CatalogedBackup } from '../../../src/io/backup-catalog';
import { assertCompleteParts, historiesToStage, listServerBackups, unreadableSkipped } from '../../../src/io/restore-planner';
import type { ArchivedWalObject } from '../../../src/io/wal-archive';
import { useTestBucket } from '../../support/s3-test-bucket';

const INFO = [
  'begin_time=2026-11-24 21:55:42.916985+00:00',
  'begin_wal=000000010000000000000026',
  'end_time=2026-11-24 21:56:01.261324+00:00',
  'end_wal=000000010000000000000026',
  'status=DONE',
  'timeline=1',
  'version=150018',
  '',
].join('\n');

describe('restore-planner', function () {
  this.timeout(60_000);

  describe('listServerBackups (real S3)', () => {
    const bucket = useTestBucket('planner');
    const good = '20261124T220817';
    const bad = '20261125T010000';
    const worse = '20261126T010000';

    before(async () => {
      await bucket.put(`mixed/base/${good}/backup.info`, INFO);
      await bucket.put(`mixed/base/${bad}/backup.info`, 'status=DONE\ntimeline=one\n');
      await bucket.put(`allbad/base/${bad}/backup.info`, 'status=DONE\ntimeline=one\n');
      await bucket.put(`allbad/base/${worse}/backup.info`, 'not a backup.info\n');
    });

    const request = (server: string, backupId?: string) => ({ server, bucket: bucket.name, prefix: '', backupId });

    it('skips a backup.info that cannot be used, with a note for `pitr plan`, and lists the others', async () => {
      const catalog = await listServerBackups({ s3: bucket.s3 }, request('mixed'));
      assert.deepEqual(
        catalog.backups.map((b) => b.info.backupId),
        [good],
      );
      assert.deepEqual(unreadableSkipped(catalog.unreadable), [{ backupId: bad, why: 'skipped: its backup.info cannot be used: timeline "one" is not a whole number' }]);
    });

    it('fails a restore that names that backup with --backup-id, saying why', async () => {
      await assert.rejects(listServerBackups({ s3: bucket.s3 }, request('mixed', bad)), (err: unknown) => {
        assert.equal((err as { type?: string }).type, 'CorruptArchive');
        assert.equal(
          (err as Error).message,
          `backup.info of backup ${bad} cannot be used: timeline "one" is not a whole number. ` +
            'Restore from another backup: name another with --backup-id, or leave --backup-id out and pitr chooses among the usable ones',
        );
        return true;
      });
    });

    it('refuses a server whose every backup.info cannot be used, naming each and what to do', async () => {
      await assert.rejects(listServerBackups({ s3: bucket.s3 }, request('allbad')), (err: unknown) => {
        assert.equal((err as { type?: string }).type, 'CorruptArchive');
        assert.equal(
          (err as Error).message,
          `no usable backup under s3://${bucket.name}/allbad/base/: the backup.info of every backup cannot be used (` +
            `${bad}: timeline "one" is not a whole number; ${worse}: line 1 is not key=value: "not a backup.info"); ` +
            'barman-cloud-backup writes backup.info last, as key=value lines: check these objects, and take a new backup with barman-cloud-backup',
        );
        return true;
      });
    });
  });

  describe('historiesToStage', () => {
    const history = (name: string, size: number): ArchivedWalObject => ({ name, key: `pg/wals/${name}`, size, etag: 'e', lastModified: null, compression: 'none' });

    it('takes every history file of the archive, whatever the path: a promotion must see them all to choose an unused timeline', () => {
      const all = [history('00000002.history', 42), history('00000003.history', 84), history('00000004.history', 99)];
      assert.deepEqual(historiesToStage(all).map((h) => h.name), ['00000002.history', '00000003.history', '00000004.history']);
    });

    it('refuses one larger than a history file can be (1 MiB: one short line per timeline switch)', () => {
      const all = [history('00000002.history', 42), history('00000003.history', 50 * 1024 * 1024)];
      assert.throws(
        () => historiesToStage(all),
        (err: unknown) => {
          assert.equal((err as { type?: string }).type, 'CorruptArchive');
          assert.equal(
            (err as Error).message,
            'timeline history file 00000003.history (pg/wals/00000003.history) cannot be used: it is 50.0 MiB, more than the 1.0 MiB a timeline history file can be, so it is not read; ' +
              'PostgreSQL writes one short line per timeline switch into it, so this is not a file PostgreSQL wrote: check the object in the bucket (a restore stages every history file, and this one would mislead PostgreSQL)',
          );
          return true;
        },
      );
    });
  });


  describe('assertCompleteParts', () => {
    const backup = (names: string[]): CatalogedBackup => ({
      info: parseBackupInfo('20261124T220817', INFO),
      infoKey: 'pg/base/20261124T220817/backup.info',
      infoSize: 1,
      infoEtag: 'e',
      objects: names.map((name): BackupObject => {
        const m = /^(data|\d+)(?:_(\d+))?\.tar/.exec(name)!;
        return { key: `pg/base/20261124T220817/${name}`, size: 1, etag: 'e', kind: m[1] === 'data' ? 'data' : 'tablespace', tablespaceOid: m[1] === 'data' ? undefined : Number(m[1]), part: Number(m[2] ?? 0), compression: 'gzip' };
      }),
    });

    it('accepts parts without a gap', () => {
      assertCompleteParts(backup(['data.tar.gz', 'data_0001.tar.gz', '16385.tar.gz']), 'b', '', 'pg');
    });

    it('refuses a backup with a missing part before anything is copied, naming it', () => {
      assert.throws(
        () => assertCompleteParts(backup(['data.tar.gz', 'data_0002.tar.gz', 'data_0004.tar.gz']), 'b', 'backups', 'pg'),
        (err: unknown) => {
          assert.equal((err as { type?: string }).type, 'CorruptArchive');
          assert.match((err as Error).message, /^backup 20261124T220817 in s3:\/\/b\/backups\/pg\/base\/20261124T220817\/ lacks parts 1 and 3 of data\.tar\* \(it has parts 0, 2 and 4\): /);
          return true;
        },
      );
    });
  });
});

