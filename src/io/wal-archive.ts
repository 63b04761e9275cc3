// What barman-cloud-wal-archive left under <server>/wals/: segments (with their compression) and
// timeline history files, as listed from S3.
import type { S3Client } from '@aws-sdk/client-s3';
import { fromDate } from '../core/timestamp';
import { parseWalKey, walsPrefix, type WalCompression } from '../core/s3-layout';
import type { ArchivedWal } from '../core/wal-plan';
import { listAll } from './s3-listing';

export interface ArchivedWalObject extends ArchivedWal {
  etag: string;
  compression: WalCompression;
}

export interface WalArchive {
  segments: ArchivedWalObject[];
  histories: ArchivedWalObject[];
}

export async function listWalArchive(s3: S3Client, bucket: string, prefix: string, server: string, signal?: AbortSignal): Promise<WalArchive> {
  const archive: WalArchive = { segments: [], histories: [] };
  for (const object of await listAll(s3, bucket, walsPrefix(prefix, server), signal)) {
    const parsed = parseWalKey(object.key);
    if (!parsed || parsed.kind === 'backup-history') continue;
    const wal: ArchivedWalObject = {
      name: parsed.name,
      key: object.key,
      size: object.size,
      etag: object.etag,
      lastModified: fromDate(object.lastModified),
      compression: parsed.compression,
    };
    (parsed.kind === 'segment' ? archive.segments : archive.histories).push(wal);
  }
  archive.segments.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return archive;
}
