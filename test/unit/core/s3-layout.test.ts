import assert from 'node:assert/strict';
import {
  InvalidServerNameError,
  assertValidServerName,
  backupInfoKey,
  baseBackupsPrefix,
  basePartGaps,
  compareBaseBackupObjects,
  isBackupId,
  parseBaseBackupObjectKey,
  parseWalKey,
  serverPrefix,
  walHashDirPrefix,
  walsPrefix,
} from '../../../src/core/s3-layout';

describe('core/s3-layout', () => {
  describe('server names', () => {
    it('accepts barman-style names', () => {
      for (const name of ['pg', 'cloud', 'pg-main_2.prod', 'A', '...x']) assertValidServerName(name);
    });

    it('refuses empty names, paths and dot-dirs, saying what is accepted', () => {
      for (const bad of ['', '.', '..', 'a/b', '/pg', 'pg/', 'p g', 'pg\n', 'pg*', 'é', '-h', '--help', '-pg']) {
        assert.throws(() => assertValidServerName(bad), InvalidServerNameError, JSON.stringify(bad));
      }
      assert.throws(
        () => assertValidServerName('a/b'),
        /server name "a\/b" is not valid: .*letters, digits, "\.", "_" and "-" \(not empty, not "\." or "\.\.", not starting with "-", no "\/"\)/,
      );
      try {
        assertValidServerName('..');
      } catch (e) {
        assert.equal((e as InvalidServerNameError).type, 'InvalidInput');
      }
    });
  });

  describe('prefixes', () => {
    it('puts the server folder under the optional bucket prefix', () => {
      assert.equal(serverPrefix('', 'pg'), 'pg/');
      assert.equal(serverPrefix('a/b', 'pg'), 'a/b/pg/');
      assert.equal(serverPrefix('a/b/', 'pg'), 'a/b/pg/');
      assert.equal(serverPrefix('/a/b//', 'pg'), 'a/b/pg/');
      assert.equal(serverPrefix('/', 'pg'), 'pg/');
      assert.throws(() => serverPrefix('a', '../pg'), InvalidServerNameError);
    });

    it('derives the base, backup.info and WAL locations', () => {
      assert.equal(baseBackupsPrefix('', 'pg'), 'pg/base/');
      assert.equal(baseBackupsPrefix('backups/', 'pg'), 'backups/pg/base/');
      assert.equal(backupInfoKey('', 'pg', '20261124T220731'), 'pg/base/20261124T220731/backup.info');
      assert.equal(walsPrefix('x', 'pg'), 'x/pg/wals/');
      assert.equal(walHashDirPrefix('', 'pg', '0000000100000000'), 'pg/wals/0000000100000000/');
    });

    it('refuses bad backup ids and hash folders', () => {
      assert.throws(() => backupInfoKey('', 'pg', '../20261124T220731'), /not a barman backup id/);
      assert.throws(() => backupInfoKey('', 'pg', 'latest'), /expected YYYYMMDDTHHMMSS/);
      assert.throws(() => walHashDirPrefix('', 'pg', '000000010000000'), /not a WAL hash folder/);
      assert.throws(() => walHashDirPrefix('', 'pg', '000000010000000a'), /not a WAL hash folder/);
      assert.throws(() => walHashDirPrefix('', 'pg', '../../0000000100'), /not a WAL hash folder/);
    });
  });

  describe('backup ids', () => {
    it('follows Barman (YYYYMMDDTHHMMSS)', () => {
      assert.ok(isBackupId('20261124T220731'));
      for (const bad of ['20261124T22073', '20261124t220731', '20261124T220731Z', '', 'base']) {
        assert.equal(isBackupId(bad), false, bad);
      }
    });
  });

  describe('parseWalKey', () => {
    it('reads segments with every compression barman-cloud writes', () => {
      const cases: [string, string][] = [
        ['', 'none'],
        ['.gz', 'gzip'],
        ['.bz2', 'bzip2'],
        ['.snappy', 'snappy'],
        ['.xz', 'xz'],
        ['.zst', 'zstd'],
        ['.lz4', 'lz4'],
      ];
      for (const [ext, compression] of cases) {
        assert.deepEqual(parseWalKey(`pg/wals/0000000100000000/000000010000000000000026${ext}`), {
          kind: 'segment',
          name: '000000010000000000000026',
          compression,
        });
      }
    });

    it('reads backup history files inside their hash folder', () => {
      assert.deepEqual(parseWalKey('a/pg/wals/0000000100000000/000000010000000000000011.00000028.backup.gz'), {
        kind: 'backup-history',
        name: '000000010000000000000011.00000028.backup',
        compression: 'gzip',
      });
    });

    it('reads history files directly under wals/', () => {
      assert.deepEqual(parseWalKey('pg/wals/00000002.history.gz'), {
        kind: 'history',
        name: '00000002.history',
        compression: 'gzip',
      });
      assert.deepEqual(parseWalKey('pg/wals/0000000A.history'), {
        kind: 'history',
        name: '0000000A.history',
        compression: 'none',
      });
    });

    it('returns null for anything barman-cloud would not have written', () => {
      for (const key of [
        'pg/wals/0000000100000000/000000010000000000000026.partial',
        'pg/wals/0000000100000000/000000010000000000000026.partial.gz',
        'pg/wals/0000000100000000/000000010000000000000026.tmp',
        'pg/wals/0000000100000000/000000010000000000000026.gz.gz',
        'pg/wals/0000000100000000/000000010000000000000026.GZ',
        'pg/wals/0000000100000001/000000010000000000000026.gz',
        'pg/wals/000000010000000000000026.gz',
        'pg/wals/0000000100000000/00000002.history',
        'pg/base/0000000100000000/000000010000000000000026.gz',
        'pg/wals/0000000100000000/',
        'pg/wals/xlog.db',
        'pg/wals/00000002.history.constructor',
        'pg/wals/0000000100000000/000000010000000000000026.toString',
        '000000010000000000000026',
        '',
      ]) {
        assert.equal(parseWalKey(key), null, key);
      }
    });
  });

  describe('parseBaseBackupObjectKey', () => {
    const base = 'pg/base/20261124T220731/';

    it('reads backup.info', () => {
      assert.deepEqual(parseBaseBackupObjectKey(`${base}backup.info`), {
        backupId: '20261124T220731',
        kind: 'backup.info',
        compression: 'none',
      });
    });

    it('reads data tars, their parts and compressions', () => {
      assert.deepEqual(parseBaseBackupObjectKey(`${base}data.tar.gz`), {
        backupId: '20261124T220731',
        kind: 'data',
        part: 0,
        compression: 'gzip',
      });
      assert.deepEqual(parseBaseBackupObjectKey(`${base}data_0001.tar.gz`), {
        backupId: '20261124T220731',
        kind: 'data',
        part: 1,
        compression: 'gzip',
      });
      assert.deepEqual(parseBaseBackupObjectKey(`${base}data.tar`), {
        backupId: '20261124T220731',
        kind: 'data',
        part: 0,
        compression: 'none',
      });
      assert.equal(parseBaseBackupObjectKey(`${base}data_0002.tar.bz2`)?.compression, 'bzip2');
      assert.equal(parseBaseBackupObjectKey(`${base}data.tar.snappy`)?.compression, 'snappy');
      assert.equal(parseBaseBackupObjectKey(`${base}data_12345.tar`)?.part, 12345);
    });

    it('reads the lz4 tars of barman-cloud-backup --lz4 (3.18+): data, parts and tablespaces', () => {
      assert.deepEqual(parseBaseBackupObjectKey(`${base}data.tar.lz4`), { backupId: '20261124T220731', kind: 'data', part: 0, compression: 'lz4' });
      assert.deepEqual(parseBaseBackupObjectKey(`${base}data_0001.tar.lz4`), { backupId: '20261124T220731', kind: 'data', part: 1, compression: 'lz4' });
      assert.equal(parseBaseBackupObjectKey(`${base}16387.tar.lz4`)?.compression, 'lz4');
    });

    it('reads tablespace tars', () => {
      assert.deepEqual(parseBaseBackupObjectKey(`x/y/${base}16387.tar.gz`), {
        backupId: '20261124T220731',
        kind: 'tablespace',
        tablespaceOid: 16387,
        part: 0,
        compression: 'gzip',
      });
      assert.deepEqual(parseBaseBackupObjectKey(`${base}16387_0001.tar`), {
        backupId: '20261124T220731',
        kind: 'tablespace',
        tablespaceOid: 16387,
        part: 1,
        compression: 'none',
      });
    });

    it('returns null for anything else', () => {
      for (const key of [
        `${base}data.tar.xz`,
        `${base}data.tar.zst`,
        `${base}data.tgz`,
        `${base}data_1.tar.gz`,
        `${base}data_0000.tar.gz`,
        `${base}016387.tar.gz`,
        `${base}0.tar`,
        `${base}99999999999.tar`,
        `${base}pg_control`,
        `${base}backup.info.tmp`,
        `${base}sub/data.tar.gz`,
        'pg/base/latest/data.tar.gz',
        'pg/wals/20261124T220731/data.tar.gz',
        'data.tar.gz',
        '',
      ]) {
        assert.equal(parseBaseBackupObjectKey(key), null, key);
      }
    });
  });

  describe('compareBaseBackupObjects', () => {
    it('puts data first, tablespaces by OID, and each directory\'s parts in part order (past part 9999 too)', () => {
      const names = ['16385_0001.tar', 'data_10000.tar.gz', 'data_0001.tar.gz', '16385.tar', '1663.tar', 'data_9999.tar.gz', 'data.tar.gz'];
      const sorted = names
        .map((name) => ({ name, parsed: parseBaseBackupObjectKey(`pg/base/20261124T220731/${name}`)! }))
        .sort((a, b) => compareBaseBackupObjects(a.parsed, b.parsed))
        .map((o) => o.name);
      assert.deepEqual(sorted, ['data.tar.gz', 'data_0001.tar.gz', 'data_9999.tar.gz', 'data_10000.tar.gz', '1663.tar', '16385.tar', '16385_0001.tar']);
    });
  });

  describe('basePartGaps', () => {
    const o = (kind: 'data' | 'tablespace', part: number, tablespaceOid?: number) => ({ kind, part, tablespaceOid });

    it('finds none when each directory has parts 0..n', () => {
      assert.deepEqual(basePartGaps([o('data', 0), o('data', 1), o('data', 2), o('tablespace', 0, 16385)]), []);
      assert.deepEqual(basePartGaps([o('data', 0)]), []);
    });

    it('names the missing parts of each directory, data.tar* itself included', () => {
      assert.deepEqual(basePartGaps([o('data', 0), o('data', 2), o('tablespace', 1, 16385)]), [
        { directory: 'data', missing: [1], present: [0, 2] },
        { directory: '16385', missing: [0], present: [1] },
      ]);
    });
  });
});

