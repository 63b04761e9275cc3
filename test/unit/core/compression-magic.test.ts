import assert from 'node:assert/strict';
import { barmanReadsEverywhere, compressionFromMagic } from '../../../src/core/compression-magic';

describe('compression-magic', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it('tells every codec barman-cloud writes by its first bytes', () => {
    assert.equal(compressionFromMagic(bytes(0x1f, 0x8b, 0x08, 0)), 'gzip');
    assert.equal(compressionFromMagic(Buffer.from('BZh91AY&SY')), 'bzip2');
    assert.equal(compressionFromMagic(bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 4)), 'xz');
    assert.equal(compressionFromMagic(bytes(0x28, 0xb5, 0x2f, 0xfd, 0x64)), 'zstd');
    assert.equal(compressionFromMagic(bytes(0x04, 0x22, 0x4d, 0x18, 0x64)), 'lz4');
    assert.equal(compressionFromMagic(Buffer.concat([bytes(0xff, 0x06, 0, 0), Buffer.from('sNaPpY')])), 'snappy');
  });

  it('calls a WAL page, a history file and a too-short file plain', () => {
    assert.equal(compressionFromMagic(bytes(0x10, 0xd1, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0)), 'none'); // XLOG_PAGE_MAGIC of PostgreSQL 15
    assert.equal(compressionFromMagic(Buffer.from('1\t0/5000000\tno recovery target specified\n')), 'none');
    assert.equal(compressionFromMagic(bytes(0x28, 0xb5)), 'none');
  });

  it('leaves gzip, bzip2 and plain files to Barman, and only those', () => {
    assert.deepEqual(
      (['gzip', 'bzip2', 'none', 'xz', 'zstd', 'lz4', 'snappy'] as const).filter(barmanReadsEverywhere),
      ['gzip', 'bzip2', 'none'],
    );
  });
});
