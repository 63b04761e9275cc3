import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openJournal } from '../io/download-journal';
import { borrowExtractedTrees } from '../io/extracted-trees';
import { localCopies, reusedNote } from '../io/local-copies';
import type { BackupObject, CatalogedBackup } from '../io/backup-catalog';
import { downloadObjects, etagIsMd5, type DownloadItem } from '../io/s3-download';
import { extractionLimits } from '../core/extraction-limits';
import { EntryGuard } from '../core/tar-entry-guard';
import { CorruptArchiveError, ExtractionBudget, extractStream } from '../io/tar-extract';
import { reclaimWorkArea, workDirLayout, type WorkDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan, TransferResult } from '../shared';
import {
  backupInfoDownload,
  downloadPath,
  extractionTargets,
  publishExtraction,
  targetsToExtract,
  type ExtractionTarget,
} from './base-backup-targets';
import { plannedBackup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { withProgress, type ProgressReporter } from './progress';

/** What the download may run ahead of an extraction in memory; the rest waits on disk. */
const TEE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Downloads the base backup and extracts it in the same pass, straight into Barman's layout: each
 * tarball's bytes go to its extraction as they land, read back from the download's `.part` file (parallel
 * ranged GETs land out of order). The tarball is kept, compressed, until the restore is released: after a
 * crash the retry resumes the download from the parts on disk instead of fetching it again, and only the
 * extraction starts over (a gzip stream cannot be resumed midway). A target directory appears under its
 * final name only once its tarballs are downloaded, verified and extracted.
 */
export function syncAndExtractBaseBackupActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<TransferResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      return withAttemptFence(deps, input, async (lost) => {
        await reclaimWorkArea(layout);
        const backup = await plannedBackup(deps, input, plan);
        const all = extractionTargets(layout, input.server, plan.backupId, backup.objects);
        const unpublished = await targetsToExtract(all);
        return withProgress('SyncBase', deps.heartbeatIntervalMs, lost, async (progress) => {
          // What a held (or failed) restore of the same backup on this host has extracted is linked, not extracted again.
          const linked = await borrowExtractedTrees({ layout, server: input.server, barmanUser: deps.barmanUser, targets: unpublished, signal: progress.signal });
          const targets = unpublished.filter((t) => !linked.some((l) => l.target === t));
          const tarballs = teeTarballs(layout, plan.backupId, targets);
          try {
            const transfer = await downloadWhileExtracting({ deps, bucket: input.bucket, server: input.server, backupId: plan.backupId, layout, backup, targets, tarballs, progress });
            return withLinked(withExtractedEarlier(transfer, all.filter((t) => !unpublished.includes(t))), linked);
          } finally {
            for (const { tee } of tarballs) tee.destroy();
          }
        });
      });
    });
}

/**
 * The step's result covers the whole base backup: the tarballs of directories an earlier attempt, or the run a resume
 * continues, already extracted and published are counted as skipped objects, as a download counts what is on disk.
 */
function withExtractedEarlier(transfer: TransferResult, published: readonly ExtractionTarget[]): TransferResult {
  const objects = published.flatMap((t) => t.objects);
  return {
    ...transfer,
    objects: transfer.objects + objects.length,
    objectsSkipped: transfer.objectsSkipped + objects.length,
    bytesTotal: transfer.bytesTotal + objects.reduce((sum, o) => sum + o.size, 0),
  };
}

/** The directories linked from another restore's area count as reused objects: their tarballs, as the bucket holds them. */
function withLinked(transfer: TransferResult, linked: readonly { target: ExtractionTarget; bytes: number }[]): TransferResult {
  if (linked.length === 0) return transfer;
  const objects = linked.reduce((sum, l) => sum + l.target.objects.length, 0);
  const bytes = linked.reduce((sum, l) => sum + l.bytes, 0);
  return {
    ...transfer,
    objects: transfer.objects + objects,
    bytesTotal: transfer.bytesTotal + bytes,
    reused: { objects: (transfer.reused?.objects ?? 0) + objects, bytes: (transfer.reused?.bytes ?? 0) + bytes, linkedDirectories: linked.length },
  };
}

/** A tarball of the backup: where it is extracted, its download, and the stream from the one to the other. */
interface TeedTarball {
  target: ExtractionTarget;
  /** The target's guard: the parts of one directory (data.tar, data_0001.tar, ...) share it, in part order. */
  guard: EntryGuard;
  object: BackupObject;
  download: DownloadItem;
  tee: PassThrough;
}

/** What one attempt of the step works on. */
interface Attempt {
  deps: ActivityDeps;
  bucket: string;
  server: string;
  backupId: string;
  layout: WorkDirLayout;
  backup: CatalogedBackup;
  /** The directories still to extract (those published by an earlier attempt are not). */
  targets: readonly ExtractionTarget[];
  /** Their tarballs, in download order. */
  tarballs: readonly TeedTarball[];
  progress: ProgressReporter;
}

function teeTarballs(layout: WorkDirLayout, backupId: string, targets: readonly ExtractionTarget[]): TeedTarball[] {
  return targets.flatMap((target) => {
    const guard = new EntryGuard(target.partialDir);
    return target.objects.map((object) => {
      const tee = new PassThrough({ highWaterMark: TEE_BUFFER_BYTES });
      const download = { key: object.key, size: object.size, etag: object.etag, localPath: downloadPath(layout, backupId, object), tee };
      return { target, guard, object, download, tee };
    });
  });
}

/** The download of backup.info and the tarballs, and the extraction fed by it; resolves once both are over. */
async function downloadWhileExtracting(attempt: Attempt): Promise<TransferResult> {
  const { deps, bucket, backupId, layout, backup, tarballs, progress } = attempt;
  // A failed download stops the extraction (its tee is destroyed); a failed extraction stops the download
  // only when the download cannot prove the bytes good (see stopDownloadIfUnverifiable).
  const stop = new AbortController();
  const signal = AbortSignal.any([progress.signal, stop.signal]);
  const extracted = { entries: 0 };
  const download = downloadObjects(deps.s3, bucket, [backupInfoDownload(layout, backupId, backup), ...tarballs.map((t) => t.download)], {
    journal: await openJournal(layout.journal),
    ...deps.download,
    signal,
    // A tarball another restore of this server holds (a held restore) is copied and extracted from the copy.
    localCopies: localCopies({ ownRoot: layout.root, server: attempt.server, barmanUser: deps.barmanUser }),
    onProgress: ({ objectsReused = 0, ...p }) =>
      progress.update({ ...p, current: `${p.current ?? ''} (${extracted.entries} files extracted${reusedNote(objectsReused)})` }),
  });
  // What the whole backup may expand to, from its backup.info (a crafted archive stops there, not at a full disk).
  const budget = new ExtractionBudget(extractionLimits(backup.info.recordedSize ?? null, backup.objects));
  const extraction = extractInDownloadOrder(attempt, budget, signal, extracted);
  extraction.catch((err: unknown) => stopDownloadIfUnverifiable(tarballs, stop, err));
  const [downloaded, extractedAll] = await Promise.allSettled([download, extraction]);
  return concludeAttempt(attempt, downloaded, extractedAll);
}

/**
 * One tarball at a time, in download order: a later tarball's read-back waits on disk meanwhile. `extracted`
 * counts the entries written so far, for the download's progress.
 */
async function extractInDownloadOrder(attempt: Attempt, budget: ExtractionBudget, signal: AbortSignal, extracted: { entries: number }): Promise<void> {
  for (const { target, guard, object, tee } of attempt.tarballs) {
    const before = extracted.entries;
    const result = await extractStream({ stream: tee, bytesTotal: object.size, name: `s3://${attempt.bucket}/${object.key}` }, target.partialDir, {
      compression: object.compression,
      signal,
      guard,
      budget,
      onProgress: (p) => (extracted.entries = before + p.entries),
    });
    extracted.entries = before + result.entries;
  }
}

/**
 * After a failed extraction the tarballs after it will not be read: their downloads go on without a tee.
 * A failed extraction is the archive's fault only once the download is verified, since bytes damaged in
 * transit look the same to gunzip: the download finishes and checks the MD5 ETags first, unless there is
 * no MD5 to check (multipart uploads), and then it stops.
 */
function stopDownloadIfUnverifiable(tarballs: readonly TeedTarball[], stop: AbortController, err: unknown): void {
  for (const { tee } of tarballs) tee.destroy();
  if (!tarballs.every(({ object }) => etagIsMd5(object.etag))) stop.abort(err);
}

/**
 * Both over: publishes the extracted directories, or throws the failure that is the cause. A failed attempt
 * leaves no half-extracted data behind (this restore's own folders; the retry would start them over
 * anyway): it is readable data, and it holds disk a full disk needs back.
 */
async function concludeAttempt(attempt: Attempt, downloaded: PromiseSettledResult<TransferResult>, extracted: PromiseSettledResult<void>): Promise<TransferResult> {
  if (downloaded.status === 'rejected' || extracted.status === 'rejected') await removePartialExtractions(attempt.targets);
  if (extracted.status === 'rejected') {
    const cause: unknown = extracted.reason;
    // A download that failed on its own is the cause; one stopped because of this failure rejects with it.
    if (downloaded.status === 'rejected' && downloaded.reason !== cause) throw downloaded.reason;
    if (cause instanceof CorruptArchiveError) await secondOpinion(attempt.layout, attempt.tarballs.map((t) => t.download), cause);
    throw cause;
  }
  if (downloaded.status === 'rejected') throw downloaded.reason;
  for (const target of attempt.targets) await publishExtraction(target, attempt.progress.signal);
  return downloaded.value;
}

async function removePartialExtractions(targets: readonly ExtractionTarget[]): Promise<void> {
  for (const target of targets) await rm(target.partialDir, { recursive: true, force: true, maxRetries: 5 });
}

/**
 * A tarball that cannot be checked against an MD5 (multipart uploads, as barman-cloud's, have none) may
 * look corrupt because of damage in transit. The first time, its download is discarded and the failure is
 * retryable, so that the retry fetches it afresh; only if the fresh copy of the same object versions fails
 * too is the archive called corrupt (non-retryable). The first verdict is remembered in the work area,
 * across attempts and workers, with the ETags it was about: an object uploaded again starts afresh.
 */
async function secondOpinion(layout: WorkDirLayout, downloads: readonly DownloadItem[], failure: CorruptArchiveError): Promise<void> {
  if (downloads.every((d) => etagIsMd5(d.etag))) return;
  const note = join(layout.root, 'corrupt-archive-seen');
  const versions = downloads.map((d) => `${d.key} ${d.etag}`).join('\n');
  if ((await readFile(note, 'utf8').catch(() => '')) === versions) return;
  for (const d of downloads) {
    for (const path of [d.localPath, `${d.localPath}.part`, `${d.localPath}.part.json`]) await rm(path, { force: true });
  }
  await writeFile(note, versions);
  throw new Error(`${failure.message.split(';')[0]}; it may have been damaged in transit (the bucket gives no MD5 to check the download against), so it is downloaded again, and called corrupt only if that copy fails too`);
}
