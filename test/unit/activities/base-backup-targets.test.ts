// Which tarballs make up each extraction target, and in which order they are extracted.
import assert from 'node:assert/strict';
import { extractionTargets } from '../../../src/activities/base-backup-targets';
import type { BackupObject } from '../../../src/io/backup-catalog';
import { workDirLayout } from '../../../src/io/work-dir';

const object = (name: string, kind: BackupObject['kind'], part: number, tablespaceOid?: number): BackupObject => ({
  key: `pg/base/20261124T220731/${name}`,
  size: 1,
  etag: 'e',
  kind,
  tablespaceOid,
  part,
  compression: 'gzip',
});

describe('extractionTargets', () => {
  it('extracts the parts of each directory in part order, whatever order they come in', () => {
    const layout = workDirLayout('/var/lib/pitr/work/x');
    const targets = extractionTargets(layout, 'pg', '20261124T220731', [
      object('data_0002.tar.gz', 'data', 2),
      object('16385_0001.tar.gz', 'tablespace', 1, 16385),
      object('data.tar.gz', 'data', 0),
      object('16385.tar.gz', 'tablespace', 0, 16385),
      object('data_0001.tar.gz', 'data', 1),
    ]);
    assert.deepEqual(
      targets.map((t) => [t.name, t.objects.map((o) => o.key.split('/').pop())]),
      [
        ['data', ['data.tar.gz', 'data_0001.tar.gz', 'data_0002.tar.gz']],
        ['16385', ['16385.tar.gz', '16385_0001.tar.gz']],
      ],
    );
  });
});
