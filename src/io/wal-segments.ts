// Archived WAL segments on the worker: where one is downloaded to (Barman's layout), downloading a set of them
// through the journal, and reading one segment's records with pg_waldump (decompressed into scratch). Used by
// the planner, the end finders, the WAL step and the archive overview.
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { walHashDir, isHistoryFileName } from '../core/wal-names';
import type { TransactionRecord } from '../core/waldump-output';
import type { WalRecord } from '../core/wal-records';
import { FailureTypes, RestoreError } from '../shared';
import { CorruptCompressedFileError, decompressFile } from './decompress';
import { fileCompression } from './file-compression';
import { CorruptWalError, readTransactionRecords, readWalRecords } from './pg-waldump';
import { downloadObjects, type DownloadOptions } from './s3-download';
import type { ArchivedWalObject } from './wal-archive';
import type { WorkDirLayout } from './work-dir';

/** The worker's download settings (PITR_DOWNLOAD_CONCURRENCY, PITR_PART_SIZE_MB, PITR_PART_CONCURRENCY), all given. */
export type DownloadSettings = Required<Pick<DownloadOptions, 'concurrency' | 'partSize' | 'partConcurrency'>>;

export interface PlannerDeps {
  s3: S3Client;
  /** PostgreSQL's bin folder for a major version; throws a ToolMissing RestoreError naming the setting when it is not installed. */
  pgBinDir(pgMajor: number): string;
  download: DownloadSettings;
  /** How much earlier than the target an archived segment may have been uploaded and still hold a later commit (clock skew). */
  scanSkewMarginMicros: number;
}

/** Where segments are read and downloaded to: the restore's (or a throw-away) work area, its journal and local copies. */
export interface SegmentReadRequest extends Pick<DownloadOptions, 'journal' | 'signal' | 'localCopies'> {
  bucket: string;
  server: string;
  layout: WorkDirLayout;
}

/** The local file an archived WAL object is downloaded to: Barman's layout, `<home>/<server>/wals/<first 16 hex>/<name>`, extension stripped. */
export function localWalPath(layout: WorkDirLayout, server: string, wal: ArchivedWalObject): string {
  const wals = join(layout.barmanHome, server, 'wals');
  return isHistoryFileName(wal.name) ? join(wals, wal.name) : join(wals, walHashDir(wal.name), wal.name);
}

export async function downloadWal(
  deps: PlannerDeps,
  request: SegmentReadRequest,
  wals: ArchivedWalObject[],
  onProgress?: DownloadOptions['onProgress'],
) {
  return downloadObjects(
    deps.s3,
    request.bucket,
    wals.map((w) => ({ key: w.key, size: w.size, etag: w.etag, localPath: localWalPath(request.layout, request.server, w) })),
    { journal: request.journal, ...deps.download, signal: request.signal, onProgress, localCopies: request.localCopies },
  );
}

/** Downloads one archived segment (through the journal), decompresses it into scratch and reads its transaction records. */
export function readSegmentRecords(deps: PlannerDeps, request: SegmentReadRequest, wal: ArchivedWalObject, pgMajor: number): Promise<TransactionRecord[]> {
  return readSegment(deps, request, wal, pgMajor, readTransactionRecords);
}

/** The same, for every record of the segment. */
export function readSegmentWalRecords(deps: PlannerDeps, request: SegmentReadRequest, wal: ArchivedWalObject, pgMajor: number): Promise<WalRecord[]> {
  return readSegment(deps, request, wal, pgMajor, readWalRecords);
}

async function readSegment<T>(
  deps: PlannerDeps,
  request: SegmentReadRequest,
  wal: ArchivedWalObject,
  pgMajor: number,
  read: (pgBinDir: string, file: string, signal?: AbortSignal) => Promise<T>,
): Promise<T> {
  await downloadWal(deps, request, [wal]);
  await mkdir(request.layout.scratch, { recursive: true });
  // pg_waldump wants the bare 24-character name on an uncompressed file.
  const plain = join(request.layout.scratch, wal.name);
  try {
    // What is on disk, not the key's extension: a resumed restore may find it decompressed by the stage step.
    const local = localWalPath(request.layout, request.server, wal);
    await decompressFile(local, plain, await fileCompression(local), request.signal);
    return await read(deps.pgBinDir(pgMajor), plain, request.signal);
  } catch (err) {
    if (err instanceof CorruptCompressedFileError || err instanceof CorruptWalError) throw damagedWal(request.bucket, wal, err.detail);
    throw err;
  } finally {
    await rm(plain, { force: true });
  }
}

/**
 * A WAL segment that must be read is damaged in the archive. Its download matched the listing (size and
 * ETag), so fetching it again cannot help.
 */
function damagedWal(bucket: string, wal: ArchivedWalObject, detail: string): RestoreError {
  return new RestoreError(
    FailureTypes.CorruptArchive,
    `WAL segment ${wal.name} (s3://${bucket}/${wal.key}) is damaged: ${detail}. Replay cannot pass through it: ` +
      'if the source server still has this segment in pg_wal, archive it again (barman-cloud-wal-archive); otherwise only targets ' +
      'before the commits it holds can be reached.',
  );
}
