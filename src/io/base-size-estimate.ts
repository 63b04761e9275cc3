// How big a base backup is once extracted, without downloading it. barman-cloud's backup.info has no
// size (size=None), so it is estimated from the tar objects: a gzip tar's last 4 bytes (ISIZE, one
// ranged GET each) give its uncompressed size modulo 4 GiB; an uncompressed tar is its own size; bzip2
// and snappy record nothing cheap to read, so their stored size stands in (a lower bound).
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { basename } from 'node:path';
import { GZIP_TRAILER_BYTES, readGzipIsize, uncompressedSizeFromIsize } from '../core/gzip-size';
import type { BackupObject } from './backup-catalog';
import { withS3Context } from './s3-client';

export type SizeMethod = 'gzip-isize' | 'tar-size' | 'stored-size';

export interface ObjectSizeEstimate {
  key: string;
  compression: BackupObject['compression'];
  storedBytes: number;
  extractedBytes: number;
  method: SizeMethod;
  /** The true size may be larger: an ISIZE that may have wrapped around 4 GiB, or no size recorded at all. */
  lowerBound: boolean;
}

export interface BaseSizeEstimate {
  /** Sum over the tar objects: about what the extracted base backup occupies. */
  bytes: number;
  /** True only when every tar is uncompressed (its size is then known, headers included). */
  exact: boolean;
  lowerBound: boolean;
  objects: ObjectSizeEstimate[];
  /** One sentence on how the figure was obtained. */
  method: string;
}

export async function estimateBaseBackupSize(s3: S3Client, bucket: string, objects: BackupObject[], signal?: AbortSignal): Promise<BaseSizeEstimate> {
  const estimates: ObjectSizeEstimate[] = [];
  for (const object of objects) estimates.push(await estimateObject(s3, bucket, object, signal));
  const exact = estimates.every((e) => e.method === 'tar-size');
  const lowerBound = estimates.some((e) => e.lowerBound);
  const methods = new Set(estimates.map((e) => e.method));
  const how = [
    methods.has('gzip-isize') ? 'the uncompressed size each gzip tar records in its last 4 bytes (ISIZE, modulo 4 GiB)' : null,
    methods.has('tar-size') ? 'the size of each uncompressed tar' : null,
    methods.has('stored-size') ? 'the stored size of bzip2/snappy tars, which record no uncompressed size (a lower bound)' : null,
  ].filter(Boolean);
  return {
    bytes: estimates.reduce((sum, e) => sum + e.extractedBytes, 0),
    exact,
    lowerBound,
    objects: estimates,
    method: `${exact ? 'exact' : lowerBound ? 'estimate, possibly low' : 'estimate'}: ${how.join('; ')}`,
  };
}

async function estimateObject(s3: S3Client, bucket: string, object: BackupObject, signal?: AbortSignal): Promise<ObjectSizeEstimate> {
  const base = { key: object.key, compression: object.compression, storedBytes: object.size };
  if (object.compression === 'none') return { ...base, extractedBytes: object.size, method: 'tar-size', lowerBound: false };
  if (object.compression !== 'gzip' || object.size < GZIP_TRAILER_BYTES) {
    return { ...base, extractedBytes: object.size, method: 'stored-size', lowerBound: true };
  }
  let tail: Uint8Array;
  try {
    const response = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: object.key, Range: `bytes=${object.size - GZIP_TRAILER_BYTES}-${object.size - 1}` }),
      { abortSignal: signal },
    );
    if (!response.Body) throw new Error(`s3://${bucket}/${object.key} returned no body for its last ${GZIP_TRAILER_BYTES} bytes`);
    tail = await response.Body.transformToByteArray();
  } catch (err) {
    throw withS3Context(err, { bucket, key: object.key });
  }
  if (tail.length !== GZIP_TRAILER_BYTES) {
    throw new Error(`s3://${bucket}/${object.key}: asked for its last ${GZIP_TRAILER_BYTES} bytes, got ${tail.length} (${basename(object.key)} changed since it was listed?)`);
  }
  const estimate = uncompressedSizeFromIsize(readGzipIsize(tail), object.size);
  return { ...base, extractedBytes: estimate.bytes, method: 'gzip-isize', lowerBound: estimate.ambiguous };
}
