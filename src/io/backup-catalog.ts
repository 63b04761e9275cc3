// The backups of one server as barman-cloud left them in the bucket: backup.info parsed, and the
// tar objects each backup consists of.
import type { S3Client } from '@aws-sdk/client-s3';
import { InvalidBackupInfoError, parseBackupInfo, type BackupInfo } from '../core/backup-info';
import { baseBackupsPrefix, compareBaseBackupObjects, parseBaseBackupObjectKey, type BaseBackupCompression } from '../core/s3-layout';
import { listAll, type S3ObjectInfo } from './s3-listing';
import { MAX_BACKUP_INFO_BYTES, oversizeProblem } from '../core/untrusted-text';
import { ObjectTooLargeError, readObjectBytes } from './s3-object-text';

export interface BackupObject extends Pick<S3ObjectInfo, 'key' | 'size' | 'etag'> {
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

/** A backup whose backup.info cannot be used: set aside, and named where backups are listed. */
export interface UnreadableBackup {
  backupId: string;
  infoKey: string;
  /** Why (short: it quotes at most an excerpt of the file). */
  problem: string;
  error: InvalidBackupInfoError;
}

export interface BackupCatalog {
  /** By backup id. */
  backups: CatalogedBackup[];
  /** By backup id. */
  unreadable: UnreadableBackup[];
  /** Folders that hold objects but no backup.info, which barman-cloud-backup uploads last: backups interrupted or still uploading. By backup id. */
  withoutInfo: string[];
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

/**
 * Each folder's backup.info, read (up to MAX_BACKUP_INFO_BYTES) and parsed. One that cannot be used is
 * set aside with the reason, so that one bad folder does not fail every restore of the server; only a
 * restore that needs that very backup fails (findBackup, and a --backup-id naming it).
 */
async function catalog(s3: S3Client, bucket: string, folders: BackupFolders, signal?: AbortSignal): Promise<BackupCatalog> {
  const result: BackupCatalog = { backups: [], unreadable: [], withoutInfo: [] };
  for (const [backupId, entry] of [...folders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!entry.info) {
      result.withoutInfo.push(backupId); // a backup still being uploaded, or a leftover without its backup.info
      continue;
    }
    let info: BackupInfo;
    try {
      info = await readBackupInfo(s3, bucket, backupId, entry.info, signal);
    } catch (err) {
      if (!(err instanceof InvalidBackupInfoError)) throw err;
      result.unreadable.push({ backupId, infoKey: entry.info.key, problem: err.detail, error: err });
      continue;
    }
    result.backups.push({
      info,
      infoKey: entry.info.key,
      infoSize: entry.info.size,
      infoEtag: entry.info.etag,
      objects: entry.objects.sort(compareBaseBackupObjects),
    });
  }
  return result;
}

async function readBackupInfo(s3: S3Client, bucket: string, backupId: string, object: { key: string; size: number }, signal?: AbortSignal): Promise<BackupInfo> {
  const tooLarge = (size: number) => new InvalidBackupInfoError(backupId, oversizeProblem(size, MAX_BACKUP_INFO_BYTES, 'a backup.info')!);
  // The listed size first: an oversized object is not even fetched.
  if (object.size > MAX_BACKUP_INFO_BYTES) throw tooLarge(object.size);
  let text: string;
  try {
    text = (await readObjectBytes(s3, bucket, object.key, MAX_BACKUP_INFO_BYTES, signal)).toString('utf8');
  } catch (err) {
    if (err instanceof ObjectTooLargeError) throw tooLarge(err.size); // replaced since it was listed
    throw err;
  }
  return parseBackupInfo(backupId, text);
}

/** The server's backups whose backup.info can be used, and those whose cannot (with why), by backup id. */
export async function listBackupCatalog(s3: S3Client, bucket: string, prefix: string, server: string, signal?: AbortSignal): Promise<BackupCatalog> {
  return catalog(s3, bucket, await listBackupFolders(s3, bucket, baseBackupsPrefix(prefix, server), signal), signal);
}

/**
 * One backup, reading only its own folder; undefined when it has gone (or lost its backup.info). A
 * backup.info that cannot be used fails here (InvalidBackupInfoError): this is the backup asked for.
 */
export async function findBackup(s3: S3Client, bucket: string, prefix: string, server: string, backupId: string, signal?: AbortSignal): Promise<CatalogedBackup | undefined> {
  const folders = await listBackupFolders(s3, bucket, `${baseBackupsPrefix(prefix, server)}${backupId}/`, signal);
  const found = await catalog(s3, bucket, folders, signal);
  const unreadable = found.unreadable.find((u) => u.backupId === backupId);
  if (unreadable) throw unreadable.error;
  return found.backups.find((b) => b.info.backupId === backupId);
}
