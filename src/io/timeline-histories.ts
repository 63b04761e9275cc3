// Reads the archive's timeline history files (`0000000N.history`), compressed or not, as untrusted input: each is
// refused when it is larger than a history file can be, before or after decompression, or does not parse.
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { TimelineHistoryOf } from '../core/timeline-branches';
import { parseTimelineHistory } from '../core/timeline-history';
import { MAX_HISTORY_FILE_BYTES, oversizeProblem } from '../core/untrusted-text';
import { historyFileTimeline, isHistoryFileName } from '../core/wal-names';
import { FailureTypes, RestoreError } from '../shared';
import { decompressFile } from './decompress';
import { ObjectTooLargeError, readObjectBytes } from './s3-object-text';
import type { ArchivedWalObject } from './wal-archive';
import type { WorkDirLayout } from './work-dir';

export interface HistoryReadRequest {
  bucket: string;
  /** Compressed history files other than gzip are decompressed through files in scratch. */
  layout: Pick<WorkDirLayout, 'scratch'>;
  signal?: AbortSignal;
}

/** Every history file among `objects`, parsed, in timeline order. */
export async function readTimelineHistories(s3: S3Client, request: HistoryReadRequest, objects: readonly ArchivedWalObject[]): Promise<TimelineHistoryOf[]> {
  const parsed: TimelineHistoryOf[] = [];
  for (const h of objects.filter((o) => isHistoryFileName(o.name))) {
    parsed.push({ timeline: historyFileTimeline(h.name), switches: await readHistorySwitches(s3, request, h) });
  }
  return parsed.sort((a, b) => a.timeline - b.timeline);
}

/**
 * The refusal of a history file that cannot be what PostgreSQL wrote. Every one is staged (a promotion must see them
 * all to choose an unused timeline), so one such file stops every restore of the server until it is dealt with.
 */
export function unusableHistoryFile(h: Pick<ArchivedWalObject, 'name' | 'key'>, problem: string): RestoreError {
  return new RestoreError(
    FailureTypes.CorruptArchive,
    `timeline history file ${h.name} (${h.key}) cannot be used: ${problem}; PostgreSQL writes one short line per timeline switch into it, ` +
      'so this is not a file PostgreSQL wrote: check the object in the bucket (a restore stages every history file, and this one would mislead PostgreSQL)',
  );
}

/** One archived history file, compressed or not, never more than MAX_HISTORY_FILE_BYTES either way, parsed. */
async function readHistorySwitches(s3: S3Client, request: HistoryReadRequest, h: ArchivedWalObject): Promise<TimelineHistoryOf['switches']> {
  const refuse = (problem: string) => unusableHistoryFile(h, problem);
  const listed = oversizeProblem(h.size, MAX_HISTORY_FILE_BYTES, 'a timeline history file');
  if (listed) throw refuse(listed);
  let bytes: Buffer;
  try {
    bytes = await readObjectBytes(s3, request.bucket, h.key, MAX_HISTORY_FILE_BYTES, request.signal);
  } catch (err) {
    if (err instanceof ObjectTooLargeError) throw refuse(oversizeProblem(err.size, MAX_HISTORY_FILE_BYTES, 'a timeline history file')!);
    throw err;
  }
  let plain: Buffer;
  try {
    plain = await decompressHistory(bytes, h, request);
  } catch (err) {
    throw refuse(err instanceof HistoryTooLarge ? err.message : `it does not decompress as ${h.compression} (${(err as Error).message})`);
  }
  try {
    return parseTimelineHistory(plain.toString('utf8'));
  } catch (err) {
    throw refuse((err as Error).message);
  }
}

async function decompressHistory(bytes: Buffer, h: ArchivedWalObject, request: HistoryReadRequest): Promise<Buffer> {
  const tooLarge = (size: number) => new HistoryTooLarge(`it decompresses to more than ${MAX_HISTORY_FILE_BYTES} bytes (${size} or more), more than a timeline history file can be`);
  switch (h.compression) {
    case 'none':
      return bytes;
    case 'gzip':
      try {
        return gunzipSync(bytes, { maxOutputLength: MAX_HISTORY_FILE_BYTES });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(MAX_HISTORY_FILE_BYTES);
        throw err;
      }
    default: {
      // bzip2, xz, zstd, lz4, snappy: the worker's decompressors, through files in the work area's scratch.
      await mkdir(request.layout.scratch, { recursive: true });
      const packed = join(request.layout.scratch, `${h.name}.packed`);
      const plainPath = join(request.layout.scratch, h.name);
      try {
        await writeFile(packed, bytes);
        await decompressFile(packed, plainPath, h.compression, request.signal);
        const size = (await stat(plainPath)).size;
        if (size > MAX_HISTORY_FILE_BYTES) throw tooLarge(size);
        return await readFile(plainPath);
      } finally {
        await rm(packed, { force: true });
        await rm(plainPath, { force: true });
      }
    }
  }
}

class HistoryTooLarge extends Error {}
