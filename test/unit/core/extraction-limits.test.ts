import assert from 'node:assert/strict';
import { extractionLimits, MAX_BACKUP_ENTRIES } from '../../../src/core/extraction-limits';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

describe('core/extraction-limits', () => {
  it('with a size in backup.info: twice that plus 1 GiB', () => {
    const limits = extractionLimits(10 * GIB, [{ size: 100 * MIB, compression: 'gzip' }]);
    assert.equal(limits.maxBytes, 21 * GIB);
    assert.equal(limits.maxEntries, MAX_BACKUP_ENTRIES);
    assert.match(limits.basis, /twice the 10\.0 GiB backup\.info records for the cluster, plus 1 GiB/);
  });

  it('with a size in backup.info, never less than 100 times the stored tarballs (PGDATA holds more than the tablespaces)', () => {
    const limits = extractionLimits(MIB, [
      { size: 40 * MIB, compression: 'gzip' },
      { size: 10 * MIB, compression: 'gzip' },
    ]);
    assert.equal(limits.maxBytes, 5000 * MIB);
    assert.match(limits.basis, /100 times the 50\.0 MiB of tarballs/);
  });

  it('without a size: 1032 times the compressed tarballs (deflate\'s limit), a plain tar its own size', () => {
    const limits = extractionLimits(null, [
      { size: MIB, compression: 'gzip' },
      { size: MIB, compression: 'bzip2' },
      { size: 3 * MIB, compression: 'none' },
    ]);
    assert.equal(limits.maxBytes, 2 * 1032 * MIB + 3 * MIB);
    assert.match(limits.basis, /backup\.info records no size, so 1032 times the 2\.0 MiB of compressed tarballs .* plus the 3\.0 MiB of plain ones/);
  });

  it('a size of 0 counts as no size', () => {
    assert.equal(extractionLimits(0, [{ size: MIB, compression: 'none' }]).maxBytes, MIB);
  });
});
