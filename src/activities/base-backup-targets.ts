// Where each tarball of a backup is extracted in Barman's layout, and how a finished extraction is
// published, for the streaming base step (sync-and-extract-base-backup.ts).
import { chmod, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { compareBaseBackupObjects } from '../core/s3-layout';
import type { BackupObject, CatalogedBackup } from '../io/backup-catalog';
import { pathExists } from '../io/path-exists';
import type { DownloadItem } from '../io/s3-download';
import { lendableTrees, recordExtraction, type LinkableObjects } from '../io/extracted-trees';
import { backupDir, EXTRACTING_SUFFIX, type WorkDirLayout } from '../io/work-dir';

export interface ExtractionTarget {
  /** `data`, or a tablespace's OID. */
  name: string;
  /** base/<id>/<name> in the Barman home: present only once complete. */
  finalDir: string;
  /** Where the extraction is built before it is renamed to finalDir. */
  partialDir: string;
  /** What it was extracted from and its shape, written as it is published (src/core/extracted-tree.ts). */
  recordPath: string;
  /** The tarballs that make it up, in part order (data.tar, data_0001.tar, ...): they are extracted in this order. */
  objects: BackupObject[];
}

/** `data*.tar*` into base/<id>/data, each tablespace's tars into base/<id>/<oid>. */
export function extractionTargets(layout: WorkDirLayout, server: string, backupId: string, objects: readonly BackupObject[]): ExtractionTarget[] {
  const targets = new Map<string, ExtractionTarget>();
  for (const object of objects) {
    const name = object.kind === 'data' ? 'data' : String(object.tablespaceOid);
    const finalDir = join(backupDir(layout, server, backupId), name);
    const recordPath = join(layout.extractions, backupId, `${name}.json`);
    const target = targets.get(name) ?? { name, finalDir, partialDir: `${finalDir}${EXTRACTING_SUFFIX}`, recordPath, objects: [] };
    target.objects.push(object);
    targets.set(name, target);
  }
  for (const target of targets.values()) target.objects.sort(compareBaseBackupObjects);
  return [...targets.values()];
}

/** Targets not extracted yet; their leftovers from an interrupted attempt are removed. */
export async function targetsToExtract(targets: readonly ExtractionTarget[]): Promise<ExtractionTarget[]> {
  const todo: ExtractionTarget[] = [];
  for (const target of targets) {
    if (await pathExists(target.finalDir)) continue;
    await rm(target.partialDir, { recursive: true, force: true, maxRetries: 5 });
    todo.push(target);
  }
  return todo;
}

/**
 * Makes a complete extraction visible under its final name, in one rename, with its record written first: another
 * restore of the same backup on this host may then link it instead of extracting it again.
 */
export async function publishExtraction(target: ExtractionTarget, signal?: AbortSignal): Promise<void> {
  // barman-cloud tars carry no entry for PGDATA itself; PostgreSQL refuses a data directory other than 0700/0750.
  await chmod(target.partialDir, 0o700);
  await recordExtraction(target, signal);
  await rename(target.partialDir, target.finalDir);
}

/** Where a tarball is downloaded to in the work area. */
export function downloadPath(layout: WorkDirLayout, backupId: string, object: BackupObject): string {
  return join(layout.downloads, backupId, basename(object.key));
}

/** barman-cloud's backup.info, kept as downloaded: the stage step writes the Barman home's own copy from it. */
export function backupInfoDownload(layout: WorkDirLayout, backupId: string, backup: CatalogedBackup): DownloadItem {
  return { key: backup.infoKey, size: backup.infoSize, etag: backup.infoEtag, localPath: downloadedBackupInfoPath(layout, backupId) };
}

export function downloadedBackupInfoPath(layout: WorkDirLayout, backupId: string): string {
  return join(layout.downloads, backupId, 'backup.info');
}

/**
 * The directories of the backup that another restore of the server on this host has extracted, which the base step
 * would link: how many, and the keys of their tarballs (the disk check counts no space for those).
 */
export async function linkableObjects(barmanUser: string, layout: WorkDirLayout, server: string, backupId: string, objects: readonly BackupObject[]): Promise<LinkableObjects> {
  const lendable = await lendableTrees({ layout, server, barmanUser, targets: extractionTargets(layout, server, backupId, objects) });
  return { directories: lendable.length, keys: lendable.flatMap(({ target }) => target.objects.map((o) => o.key)) };
}
