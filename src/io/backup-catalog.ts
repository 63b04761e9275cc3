// The backups of one server as barman-cloud left them in the bucket: backup.info parsed, and the
// tar objects each backup consists of.
import type { S3Client } from '@aws-sdk/client-s3';
import { parseBackupInfo, type BackupInfo } from '../core/backup-info';
import { baseBackupsPrefix, compareBaseBackupObjects, parseBaseBackupObjectKey, type BaseBackupCompression } from '../core/s3-layout';
import { listAll } from './s3-listing';
import { readObjectText } from './s3-object-text';

export interface BackupObject {
  key: string;
  size: number;
  etag: string;
  kind: 'data' | 'tablespace';
  tablespaceOid?: number;
  /** 0 for `data.tar*`, n for `data_000n.tar*`: the parts of one directory are extracted in this order. */
  part: number;
  compression: BaseBackupCompression;
}

export interface CatalogedBackup {
  info: BackupInfo;
  infoKey: string;
  infoSize: number;
  infoEtag: string;
  objects: BackupObject[];
}

type BackupFolders = Map<string, { info?: { key: string; size: number; etag: string }; objects: BackupObject[] }>;

/** The objects under `listPrefix`, grouped by backup id: each folder's backup.info and tars. */
async function listBackupFolders(s3: S3Client, bucket: string, listPrefix: string, signal?: AbortSignal): Promise<BackupFolders> {
  const folders: BackupFolders = new Map();
  for (const object of await listAll(s3, bucket, listPrefix, signal)) {
    const parsed = parseBaseBackupObjectKey(object.key);
    if (!parsed) continue;
    const entry = folders.get(parsed.backupId) ?? { objects: [] };
    folders.set(parsed.backupId, entry);
    if (parsed.kind === 'backup.info') {
      entry.info = { key: object.key, size: object.size, etag: object.etag };
    } else {
      entry.objects.push({
        key: object.key,
        size: object.size,
        etag: object.etag,
        kind: parsed.kind,
        tablespaceOid: parsed.tablespaceOid,
        part: parsed.part ?? 0,
        compression: parsed.compression,
      });
    }
  }
  return folders;
}

async function catalog(s3: S3Client, bucket: string, folders: BackupFolders, signal?: AbortSignal): Promise<CatalogedBackup[]> {
  const backups: CatalogedBackup[] = [];
  for (const [backupId, entry] of folders) {
    if (!entry.info) continue; // a backup still being uploaded, or a leftover without its backup.info
    const text = await readObjectText(s3, bucket, entry.info.key, signal);
    backups.push({
      info: parseBackupInfo(backupId, text),
      infoKey: entry.info.key,
      infoSize: entry.info.size,
      infoEtag: entry.info.etag,
      objects: entry.objects.sort(compareBaseBackupObjects),
    });
  }
  return backups;
}

export async function listBackups(s3: S3Client, bucket: string, prefix: string, server: string, signal?: AbortSignal): Promise<CatalogedBackup[]> {
  return catalog(s3, bucket, await listBackupFolders(s3, bucket, baseBackupsPrefix(prefix, server), signal), signal);
}

/** One backup, reading only its own folder; undefined when it has gone (or lost its backup.info). */
export async function findBackup(s3: S3Client, bucket: string, prefix: string, server: string, backupId: string, signal?: AbortSignal): Promise<CatalogedBackup | undefined> {
  const folders = await listBackupFolders(s3, bucket, `${baseBackupsPrefix(prefix, server)}${backupId}/`, signal);
  return (await catalog(s3, bucket, folders, signal)).find((b) => b.info.backupId === backupId);
}

/**
 * Backup folders that hold objects but no backup.info: barman-cloud-backup uploads backup.info last, so
 * these are backups interrupted or still uploading. listBackups skips them; this names them.
 */
export async function listBackupsWithoutInfo(s3: S3Client, bucket: string, prefix: string, server: string, signal?: AbortSignal): Promise<string[]> {
  const folders = await listBackupFolders(s3, bucket, baseBackupsPrefix(prefix, server), signal);
  return [...folders].filter(([, entry]) => !entry.info).map(([id]) => id).sort();
}
