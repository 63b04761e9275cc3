// Reads the archive's history files of timelines later than the backup's and refuses a plan whose target
// lies after one of them branched off (src/core/timeline-branches.ts): PostgreSQL's default would follow the
// newer timeline, the restore would not, and until the plan follows switches the user must choose.
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ambiguousTimelineMessage, branchesBeforeStop, timelinesBranchedFrom, type TimelineHistoryOf } from '../core/timeline-branches';
import { parseTimelineHistory } from '../core/timeline-history';
import { MAX_HISTORY_FILE_BYTES, oversizeProblem } from '../core/untrusted-text';
import { historyFileTimeline, isHistoryFileName } from '../core/wal-names';
import { FailureTypes, RestoreError } from '../shared';
import { decompressFile } from './decompress';
import { ObjectTooLargeError, readObjectBytes } from './s3-object-text';
import type { ArchivedWalObject } from './wal-archive';
import type { WorkDirLayout } from './work-dir';

export interface TimelineCheckRequest {
  bucket: string;
  layout: Pick<WorkDirLayout, 'scratch'>;
  /** The timeline the user chose (--target-tli): then nothing is guessed, and nothing is checked. */
  targetTimeline?: number;
  signal?: AbortSignal;
}

export interface PlannedStop {
  /** The target as the message names it, e.g. `target 2026-11-24T06:32:06.397252Z`. */
  target: string;
  backupId: string;
  backupTimeline: number;
  /** begin_xlog of the backup: where its replay starts. */
  backupStartLsn: string;
  /** The WAL record where replay reaches the target on the backup's timeline. */
  stopLsn: string;
  /** How the message names that record, e.g. `the first commit after it, at 0/5000120`. */
  stopDescription: string;
}

/**
 * Throws TimelineAmbiguous when no timeline was chosen and a later timeline in the archive branched off
 * the backup's timeline at or before the planned stop. Reads history files only when the archive holds one
 * of a later timeline than the backup's.
 */
export async function refuseAmbiguousTimeline(s3: S3Client, request: TimelineCheckRequest, histories: readonly ArchivedWalObject[], stop: PlannedStop): Promise<void> {
  if (request.targetTimeline !== undefined) return;
  const later = histories.filter((h) => isHistoryFileName(h.name) && historyFileTimeline(h.name) > stop.backupTimeline);
  if (later.length === 0) return;
  const parsed: TimelineHistoryOf[] = [];
  for (const h of later) parsed.push({ timeline: historyFileTimeline(h.name), switches: parseTimelineHistory(await readHistoryText(s3, request, h)) });
  const before = branchesBeforeStop(timelinesBranchedFrom(stop.backupTimeline, stop.backupStartLsn, parsed), stop.stopLsn);
  if (before.length === 0) return;
  throw new RestoreError(
    FailureTypes.TimelineAmbiguous,
    ambiguousTimelineMessage({
      target: stop.target,
      backupId: stop.backupId,
      backupTimeline: stop.backupTimeline,
      stop: stop.stopDescription,
      branches: before,
      newestTimeline: Math.max(...parsed.map((p) => p.timeline)),
    }),
  );
}

/** The text of one archived history file, compressed or not, never more than MAX_HISTORY_FILE_BYTES either way. */
async function readHistoryText(s3: S3Client, request: TimelineCheckRequest, h: ArchivedWalObject): Promise<string> {
  const refuse = (problem: string) =>
    new RestoreError(
      FailureTypes.CorruptArchive,
      `timeline history file ${h.name} (${h.key}) cannot be used: ${problem}; PostgreSQL writes one short line per timeline switch into it, ` +
        'so this is not a file PostgreSQL wrote: check the object in the bucket, or pass --target-tli to restore a timeline without it',
    );
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
  const text = plain.toString('utf8');
  try {
    parseTimelineHistory(text);
  } catch (err) {
    throw refuse((err as Error).message);
  }
  return text;
}

async function decompressHistory(bytes: Buffer, h: ArchivedWalObject, request: TimelineCheckRequest): Promise<Buffer> {
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
