// How much a backup's tarballs may expand to, and how many entries they may hold, before extraction stops:
// the archive comes from a bucket, and a crafted one (a "zip bomb": gigabytes of zeros in kilobytes of gzip,
// or millions of empty files) would otherwise fill the disk the Barman home shares with every other backup.
import { formatBytes } from './report-format';
import type { BaseBackupCompression } from './s3-layout';

const GIB = 1024 ** 3;

/**
 * Entries (files, directories, links) one backup may hold. A PostgreSQL cluster has about three files per
 * relation (main, fsm, vm forks, and one more per GiB of data), so this is a few million relations: far past
 * what a cluster backed up with barman-cloud holds, and well under the inodes a file system has to spare.
 */
export const MAX_BACKUP_ENTRIES = 10_000_000;

/**
 * deflate's highest compression ratio, 1032:1 (https://www.zlib.net/zlib_tech.html, "Maximum Compression
 * Factor"): gzip cannot expand further. The other codecs can (bzip2 far further), so for them it is a policy:
 * a database's files, even mostly zero pages, do not shrink more than gzip's limit.
 */
export const MAX_COMPRESSION_RATIO = 1032;

/**
 * The floor when backup.info records a size: what barman-cloud 3.11+ records (`cluster_size`, the sum of
 * pg_tablespace_size) leaves out the rest of PGDATA (pg_xact, server logs under PGDATA, config files), which
 * compresses far less than 100:1 (server logs about 10-30:1); a crafted archive still stops at 100 times its
 * own size.
 */
export const RECORDED_SIZE_FLOOR_RATIO = 100;

export interface ExtractionLimits {
  /** Bytes of tar stream (headers and contents, after decompression) all of the backup's tarballs together may hold. */
  maxBytes: number;
  maxEntries: number;
  /** Where maxBytes comes from, for the message that names it. */
  basis: string;
}

export interface StoredTar {
  /** Bytes as stored in the bucket. */
  size: number;
  compression: BaseBackupCompression;
}

/**
 * The bound of a backup's extraction. With a size recorded in backup.info (`cluster_size`, or `size`): twice
 * that plus 1 GiB, the margin for what it leaves out and for the database growing while it was backed up,
 * and at least 100 times the stored tarballs. Without one (barman-cloud before 3.11): what the stored tarballs
 * can hold, a plain tar its own size and a compressed one 1032 times it.
 */
export function extractionLimits(recordedSize: number | null, tars: readonly StoredTar[]): ExtractionLimits {
  const stored = tars.reduce((sum, t) => sum + t.size, 0);
  if (recordedSize !== null && recordedSize > 0) {
    const fromInfo = 2 * recordedSize + GIB;
    const floor = RECORDED_SIZE_FLOOR_RATIO * stored;
    return {
      maxBytes: Math.max(fromInfo, floor),
      maxEntries: MAX_BACKUP_ENTRIES,
      basis:
        fromInfo >= floor
          ? `twice the ${formatBytes(recordedSize)} backup.info records for the cluster, plus 1 GiB`
          : `${RECORDED_SIZE_FLOOR_RATIO} times the ${formatBytes(stored)} of tarballs, more than twice the ${formatBytes(recordedSize)} backup.info records plus 1 GiB`,
    };
  }
  const plain = tars.filter((t) => t.compression === 'none').reduce((sum, t) => sum + t.size, 0);
  return {
    maxBytes: plain + MAX_COMPRESSION_RATIO * (stored - plain),
    maxEntries: MAX_BACKUP_ENTRIES,
    basis: `backup.info records no size, so ${MAX_COMPRESSION_RATIO} times the ${formatBytes(stored - plain)} of compressed tarballs (gzip's highest ratio)${plain > 0 ? ` plus the ${formatBytes(plain)} of plain ones` : ''}`,
  };
}
