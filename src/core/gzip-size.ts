// The uncompressed size of a gzip object from its last 4 bytes, without reading the rest. A gzip member
// ends with ISIZE: the uncompressed length modulo 2^32, little-endian (RFC 1952 §2.3.1). barman-cloud
// writes each tar as one gzip member, so ISIZE is the tar's size, modulo 4 GiB: an estimate, whose
// wrap-around is resolved here by the smallest size the compressed size allows.

export const GZIP_TRAILER_BYTES = 4;
const ISIZE_MODULUS = 2 ** 32;
/**
 * Beyond this ratio a larger candidate (ISIZE + k × 4 GiB) is considered plausible and the estimate is
 * marked ambiguous. PostgreSQL data directories shrink about 3–15× with gzip (the demo fixture: 12.8×);
 * deflate's theoretical limit is 1032×, so a size that wrapped around 4 GiB cannot be ruled out from the
 * trailer alone.
 */
export const PLAUSIBLE_GZIP_RATIO = 64;

export interface UncompressedEstimate {
  /** The smallest uncompressed size consistent with ISIZE and the compressed size. */
  bytes: number;
  /** True when a size larger by a multiple of 4 GiB is also plausible: `bytes` is then a lower bound. */
  ambiguous: boolean;
}

/** ISIZE from the trailing bytes of a gzip stream (at least 4; the last 4 are read). */
export function readGzipIsize(tail: Uint8Array): number {
  if (tail.length < GZIP_TRAILER_BYTES) {
    throw new RangeError(`a gzip trailer needs ${GZIP_TRAILER_BYTES} bytes, got ${tail.length}`);
  }
  const at = tail.length - GZIP_TRAILER_BYTES;
  return (tail[at]! | (tail[at + 1]! << 8) | (tail[at + 2]! << 16)) + tail[at + 3]! * 2 ** 24;
}

/**
 * The uncompressed size of a gzip object of `compressedSize` bytes whose trailer says `isize`. Deflate can
 * grow incompressible data only slightly (5 bytes per 16 KiB stored block, plus a header of at most 1 KiB
 * with a file name and the 8-byte trailer), so the true size is at least about the compressed size: the
 * smallest candidate ISIZE + k × 4 GiB at or above that floor is taken.
 */
export function uncompressedSizeFromIsize(isize: number, compressedSize: number): UncompressedEstimate {
  if (!Number.isInteger(isize) || isize < 0 || isize >= ISIZE_MODULUS) throw new RangeError(`ISIZE must be a 32-bit unsigned integer, got ${isize}`);
  if (!Number.isSafeInteger(compressedSize) || compressedSize < 0) throw new RangeError(`compressed size must be a whole number of bytes, got ${compressedSize}`);
  const floor = Math.max(0, Math.floor(((compressedSize - 1024) * 16_384) / (16_384 + 5)));
  let bytes = isize;
  if (bytes < floor) bytes += Math.ceil((floor - bytes) / ISIZE_MODULUS) * ISIZE_MODULUS;
  return { bytes, ambiguous: bytes + ISIZE_MODULUS <= compressedSize * PLAUSIBLE_GZIP_RATIO };
}
