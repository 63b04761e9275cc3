// Decides, before any base backup byte is copied, which backup a restore uses and which WAL it
// needs, and refuses a target the archive cannot reach. The WAL end is found by reading WAL
// (pg_waldump) for the first commit after the target, never by S3 LastModified.
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackupForTime, type SkippedBackup } from '../core/backup-selection';
import { assertValidServerName, baseBackupsPrefix, basePartGaps, walsPrefix } from '../core/s3-layout';
import type { UtcMicros } from '../core/timestamp';
import { findFirstCommitAfter } from '../core/commit-search';
import { firstScanIndex, walChainFrom } from '../core/wal-plan';
import { isHistoryFileName, walHashDir } from '../core/wal-names';
import { MAX_HISTORY_FILE_BYTES, oversizeProblem } from '../core/untrusted-text';
import { FailureTypes, RestoreError, type FailureType, type RestorePlan } from '../shared';
import { listBackupCatalog, listBackupsWithoutInfo, type BackupCatalog, type CatalogedBackup, type UnreadableBackup } from './backup-catalog';
import { CorruptCompressedFileError, decompressFile } from './decompress';
import { fileCompression } from './file-compression';
import { downloadObjects } from './s3-download';
import type { DownloadJournal } from './download-journal';
import { CorruptWalError, readTransactionRecords, readWalRecords, type TransactionRecord } from './pg-waldump';
import type { WalRecord } from '../core/wal-records';
import { fromDate } from './time-conversion';
import { listWalArchive, type ArchivedWalObject } from './wal-archive';
import { walPath, type WorkDirLayout } from './work-dir';
import { refuseAmbiguousTimeline } from './timeline-branches';

export interface DownloadSettings {
  concurrency: number;
  partSize: number;
  partConcurrency: number;
}

export interface PlannerDeps {
  s3: S3Client;
  pgBinDir(pgMajor: number): string;
  download: DownloadSettings;
  /** How much earlier than the target an archived segment may have been uploaded and still hold a later commit (clock skew). */
  scanSkewMarginMicros: number;
}

export interface PlanRequest {
  server: string;
  bucket: string;
  prefix: string;
  targetTime: UtcMicros;
  /** The backup the user named (--backup-id); otherwise the newest that fits is chosen. */
  backupId?: string;
  /** The timeline the user named (--target-tli); without it a target after a later timeline's branch is refused. */
  targetTimeline?: number;
  layout: WorkDirLayout;
  journal: DownloadJournal;
  signal?: AbortSignal;
  onProgress?(message: string, segmentsScanned: number): void;
}

export interface PlannedRestore {
  plan: Omit<RestorePlan, 'workDir'>;
  backup: CatalogedBackup;
  /**
   * Backups not chosen because they are not DONE or end after the target, newest first, then those whose
   * backup.info cannot be used (for `pitr plan`).
   */
  skipped?: SkippedBackup[];
}

/** The archive holds no commit after the target: the refusal, with the last commit that can be reached. */
export class UnreachableTargetError extends RestoreError {
  constructor(
    type: FailureType,
    message: string,
    /** The last archived commit on the chosen backup's unbroken WAL; null when there is none after the backup. */
    readonly lastCommit: UtcMicros | null,
  ) {
    super(type, message);
  }
}

export async function planRestore(deps: PlannerDeps, request: PlanRequest): Promise<PlannedRestore> {
  const { server, bucket, prefix, targetTime } = request;
  const { backups, unreadable } = await listServerBackups(deps, request);
  const selection = selectBackupForTime(
    backups.map((b) => b.info),
    targetTime,
    request.backupId,
  );
  const backup = backups.find((b) => b.info.backupId === selection.chosen.backupId) as CatalogedBackup;
  const info = backup.info;
  if (!info.beginWal || !info.endWal || info.timeline === null || info.pgVersion === null || !info.endTime) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${info.backupId} has an incomplete backup.info (begin_wal, end_wal, timeline, version and end_time are required)`);
  }
  deps.pgBinDir(info.pgVersion); // a missing PostgreSQL major is refused here, before anything is fetched
  if (!backup.objects.some((o) => o.kind === 'data')) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${info.backupId} has no data.tar* object in s3://${bucket}/${baseBackupsPrefix(prefix, server)}${info.backupId}/`);
  }

  assertCompleteParts(backup, bucket, prefix, server);

  const archive = await listWalArchive(deps.s3, bucket, prefix, server, request.signal);
  const timelineSegments = archive.segments.filter((s) => s.name.startsWith(info.beginWal!.slice(0, 8)));
  const { chain, gapAfter } = walChainFrom(timelineSegments, info.beginWal, info.segmentSize);
  const chainReachesBackupEnd = chain.some((s) => s.name === info.endWal);
  if (!chainReachesBackupEnd) {
    throw new RestoreError(
      FailureTypes.WalGap,
      `the WAL archive under s3://${bucket}/${walsPrefix(prefix, server)} lacks segments backup ${info.backupId} needs to become consistent (${info.beginWal} to ${info.endWal}); ` +
        (gapAfter ? `the first missing one follows ${gapAfter}` : `the archive stops at ${chain.at(-1)?.name ?? 'nothing'}`),
    );
  }

  const commitsRead = new Map<number, TransactionRecord[]>();
  const scan = await findFirstCommitAfter(chain.length, firstScanIndex(chain, targetTime, deps.scanSkewMarginMicros), targetTime, async (index) => {
    const records = await readSegmentRecords(deps, request, chain[index], info.pgVersion!);
    request.onProgress?.(`read ${chain[index].name}`, index + 1);
    const commits = records.filter((r) => r.kind === 'COMMIT');
    commitsRead.set(index, commits);
    return commits.map((r) => r.time);
  });
  if (!scan.reachable) {
    const lastCommit = scan.lastCommit;
    const where = gapAfter ? `the archive has a gap after segment ${gapAfter}, and ` : '';
    // Someone who typed tomorrow's date should hear that first.
    const now = fromDate(new Date());
    const future = targetTime > now ? `it is in the future (the worker's clock reads ${now}), and ` : '';
    throw new UnreachableTargetError(
      gapAfter ? FailureTypes.WalGap : FailureTypes.TargetUnreachable,
      `target ${targetTime} cannot be reached from backup ${info.backupId}: ${future}${where}no commit later than the target was found in the archived WAL (scanned up to ${chain.at(-1)!.name}). ` +
        (lastCommit
          ? `The last archived commit is at ${lastCommit}: choose a target before it (replay stops at the first commit after the target), or archive more WAL (pg_switch_wal() on the source) and retry.`
          : `No commit was found after the backup at all; archive more WAL and retry.`),
      lastCommit,
    );
  }

  const stopLsn = commitsRead.get(scan.index)!.find((r) => r.time === scan.firstCommitAfterTarget)!.lsn;
  await refuseAmbiguousTimeline(deps.s3, request, archive.histories, {
    target: `target ${targetTime}`,
    backupId: info.backupId,
    backupTimeline: info.timeline,
    backupStartLsn: info.beginXlog ?? '0/0',
    stopLsn,
    stopDescription: `the first commit after it, at ${stopLsn}`,
  });

  const plan = {
    ...planFacts(backup, selection.reason, chain.slice(0, scan.index + 1), historiesUpTo(archive.histories, info.timeline)),
    firstCommitAfterTarget: scan.firstCommitAfterTarget,
    stopLsn,
    targetTimeline: request.targetTimeline ?? info.timeline,
    lastCommitBeforeTarget: scan.lastCommitBeforeTarget ?? undefined,
  };
  return { plan, backup, skipped: [...selection.skipped, ...unreadableSkipped(unreadable)] };
}

/**
 * The server's complete backups, and those whose backup.info cannot be used (skipped, with a note); refuses a
 * bad server name, an unknown server, only incomplete backups, only unusable ones, or a --backup-id naming one.
 */
export async function listServerBackups(deps: Pick<PlannerDeps, 's3'>, request: Pick<PlanRequest, 'server' | 'bucket' | 'prefix' | 'signal' | 'backupId'>): Promise<BackupCatalog> {
  const { server, bucket, prefix } = request;
  try {
    assertValidServerName(server);
  } catch (err) {
    throw new RestoreError(FailureTypes.InvalidInput, (err as Error).message);
  }
  const catalog = await listBackupCatalog(deps.s3, bucket, prefix, server, request.signal);
  const named = catalog.unreadable.find((u) => u.backupId === request.backupId);
  if (named) throw named.error;
  if (catalog.backups.length > 0) return catalog;
  if (catalog.unreadable.length > 0) {
    throw new RestoreError(
      FailureTypes.CorruptArchive,
      `no usable backup under s3://${bucket}/${baseBackupsPrefix(prefix, server)}: the backup.info of every backup cannot be used (` +
        catalog.unreadable.slice(0, 3).map((u) => `${u.backupId}: ${u.problem}`).join('; ') +
        `${catalog.unreadable.length > 3 ? `; and ${catalog.unreadable.length - 3} more` : ''}); ` +
        'barman-cloud-backup writes backup.info last, as key=value lines: check these objects, and take a new backup with barman-cloud-backup',
    );
  }
  const incomplete = await listBackupsWithoutInfo(deps.s3, bucket, prefix, server, request.signal);
  if (incomplete.length > 0) {
    throw new RestoreError(
      FailureTypes.BackupNotFound,
      `no complete backup under s3://${bucket}/${baseBackupsPrefix(prefix, server)}: ${incomplete.length === 1 ? 'backup folder' : 'backup folders'} ${incomplete.slice(0, 5).join(', ')}${incomplete.length > 5 ? ', ...' : ''} ` +
        `${incomplete.length === 1 ? 'has' : 'have'} data but no backup.info, which barman-cloud-backup writes last (interrupted or still uploading); ` +
        `wait for a running backup to finish, or take a new one with barman-cloud-backup`,
    );
  }
  throw new RestoreError(
    FailureTypes.ServerNotFound,
    `no barman-cloud backups found under s3://${bucket}/${baseBackupsPrefix(prefix, server)}; check the server name (the folder barman-cloud-backup wrote) and the prefix`,
  );
}

/** Refuses, before anything is copied, a backup a part of whose tarballs is missing (data.tar and data_0002.tar, no data_0001.tar). */
export function assertCompleteParts(backup: CatalogedBackup, bucket: string, prefix: string, server: string): void {
  const gap = basePartGaps(backup.objects)[0];
  if (!gap) return;
  const list = (ns: number[]) => (ns.length === 1 ? `${ns[0]}` : `${ns.slice(0, -1).join(', ')} and ${ns[ns.length - 1]}`);
  throw new RestoreError(
    FailureTypes.CorruptArchive,
    `backup ${backup.info.backupId} in s3://${bucket}/${baseBackupsPrefix(prefix, server)}${backup.info.backupId}/ lacks ` +
      `${gap.missing.length === 1 ? 'part' : 'parts'} ${list(gap.missing)} of ${gap.directory}.tar* (it has parts ${list(gap.present)}): ` +
      'barman-cloud-backup uploads the parts of a directory as data.tar, data_0001.tar, ... without gaps, and backup.info last, so this backup is incomplete; ' +
      'restore from another backup (name one with --backup-id, or choose a target another backup covers)',
  );
}

/** The note `pitr plan` and the plan show for each backup whose backup.info cannot be used. */
export function unreadableSkipped(unreadable: readonly UnreadableBackup[]): SkippedBackup[] {
  return [...unreadable].reverse().map((u) => ({ backupId: u.backupId, why: `skipped: its backup.info cannot be used: ${u.problem}` }));
}

/** What every plan records, from the chosen backup and the WAL it needs (segments in order, history files). */
export function planFacts(backup: CatalogedBackup, backupReason: string, needed: ArchivedWalObject[], histories: ArchivedWalObject[]): Omit<PlannedRestore['plan'], 'stopLsn' | 'targetTimeline'> {
  const info = backup.info;
  return {
    backupId: info.backupId,
    backupReason,
    backupEndTime: info.endTime!,
    timeline: info.timeline!,
    pgVersion: info.pgVersion!,
    segmentSize: info.segmentSize,
    beginWal: info.beginWal!,
    endWal: needed.at(-1)!.name,
    walSegments: needed.length,
    walBytes: [...needed, ...histories].reduce((sum, w) => sum + w.size, 0),
    historyFiles: histories.length,
    baseObjects: backup.objects.length + 1,
    baseBytes: backup.objects.reduce((sum, o) => sum + o.size, 0) + backup.infoSize,
  };
}

/**
 * History files of the backup's timeline and its ancestors: PostgreSQL reads them while replaying (and Barman
 * while recovering), whole. One larger than MAX_HISTORY_FILE_BYTES is refused here, before it is fetched.
 */
export function historiesUpTo(histories: ArchivedWalObject[], timeline: number): ArchivedWalObject[] {
  const needed = histories.filter((h) => isHistoryFileName(h.name) && parseInt(h.name.slice(0, 8), 16) <= timeline);
  for (const h of needed) {
    const problem = oversizeProblem(h.size, MAX_HISTORY_FILE_BYTES, 'a timeline history file');
    if (problem) {
      throw new RestoreError(
        FailureTypes.CorruptArchive,
        `timeline history file ${h.name} (${h.key}) cannot be used: ${problem}; PostgreSQL writes one short line per timeline switch into it, ` +
          'so this is not a file PostgreSQL wrote: check the object in the bucket, or restore to a target on an earlier timeline',
      );
    }
  }
  return needed;
}

/** The local file an archived WAL object is downloaded to: Barman's layout, extension stripped. */
export function localWalPath(layout: WorkDirLayout, server: string, wal: ArchivedWalObject): string {
  return walPath(layout, server, isHistoryFileName(wal.name) ? null : walHashDir(wal.name), wal.name);
}

export async function downloadWal(
  deps: PlannerDeps,
  request: Pick<PlanRequest, 'bucket' | 'server' | 'layout' | 'journal' | 'signal'>,
  wals: ArchivedWalObject[],
  onProgress?: DownloadProgressListener,
) {
  return downloadObjects(
    deps.s3,
    request.bucket,
    wals.map((w) => ({ key: w.key, size: w.size, etag: w.etag, localPath: localWalPath(request.layout, request.server, w) })),
    { journal: request.journal, ...deps.download, signal: request.signal, onProgress },
  );
}

type DownloadProgressListener = NonNullable<Parameters<typeof downloadObjects>[3]['onProgress']>;

type SegmentReadRequest = Pick<PlanRequest, 'bucket' | 'server' | 'layout' | 'journal' | 'signal'>;


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
