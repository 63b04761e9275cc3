import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { PLAUSIBLE_GZIP_RATIO, readGzipIsize, uncompressedSizeFromIsize } from '../../../src/core/gzip-size';

const GiB4 = 2 ** 32;

describe('core/gzip-size', () => {
  it('reads ISIZE from the last 4 bytes of a real gzip stream', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(3_000_000, 7), randomBytes(100_000)]) {
      const gz = gzipSync(data);
      assert.equal(readGzipIsize(gz), data.length);
      assert.equal(readGzipIsize(gz.subarray(-4)), data.length);
    }
  });

  it('reads all 32 bits little-endian, including the top bit', () => {
    assert.equal(readGzipIsize(Uint8Array.from([0x00, 0x10, 0x48, 0x04])), 71_831_552);
    assert.equal(readGzipIsize(Uint8Array.from([0xff, 0xff, 0xff, 0xff])), GiB4 - 1);
    assert.equal(readGzipIsize(Uint8Array.from([0, 0, 0, 0x80])), 2 ** 31);
  });

  it('refuses fewer than 4 bytes', () => {
    assert.throws(() => readGzipIsize(Uint8Array.from([1, 2, 3])), RangeError);
  });

  it('takes ISIZE as is when it is at least about the compressed size (the usual case)', () => {
    // The demo fixture: 5,622,529 bytes of gzip holding a 71,813,120-byte tar.
    assert.deepEqual(uncompressedSizeFromIsize(71_813_120, 5_622_529), { bytes: 71_813_120, ambiguous: false });
    assert.deepEqual(uncompressedSizeFromIsize(0, 20), { bytes: 0, ambiguous: false });
  });

  it('accepts incompressible data that grew slightly in gzip', () => {
    const data = randomBytes(1_000_000);
    const gz = gzipSync(data);
    assert.ok(gz.length > data.length);
    assert.deepEqual(uncompressedSizeFromIsize(readGzipIsize(gz), gz.length), { bytes: data.length, ambiguous: false });
  });

  it('adds whole multiples of 4 GiB when ISIZE is smaller than the compressed data could be', () => {
    // 5 GiB of incompressible data: ISIZE wrapped to 1 GiB, the object itself is ~5 GiB.
    const compressed = 5 * 2 ** 30 + 100_000;
    assert.equal(uncompressedSizeFromIsize(2 ** 30, compressed).bytes, 5 * 2 ** 30);
    assert.equal(uncompressedSizeFromIsize(2 ** 30, 9 * 2 ** 30).bytes, 2 ** 30 + 2 * GiB4);
  });

  it('marks the estimate ambiguous when a size 4 GiB larger is plausible for the compressed size', () => {
    const small = 1_000_000_000;
    assert.equal(uncompressedSizeFromIsize(small, 50_000_000).ambiguous, false, `50 MB × ${PLAUSIBLE_GZIP_RATIO} < 5 GB`);
    assert.equal(uncompressedSizeFromIsize(small, 500_000_000).ambiguous, true, 'a 500 MB tar.gz may well hold 5 GB');
  });

  it('refuses values that are not an ISIZE or a size', () => {
    assert.throws(() => uncompressedSizeFromIsize(-1, 10), RangeError);
    assert.throws(() => uncompressedSizeFromIsize(GiB4, 10), RangeError);
    assert.throws(() => uncompressedSizeFromIsize(1.5, 10), RangeError);
    assert.throws(() => uncompressedSizeFromIsize(1, -10), RangeError);
  });
});
