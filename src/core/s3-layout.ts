// Object keys written by barman-cloud (docs/barman-pitr-facts.md §1):
//   [PREFIX/]SERVER/base/BACKUP_ID/backup.info, data.tar[.gz|.bz2|.snappy|.lz4], data_0001.tar…, <oid>.tar…
//   [PREFIX/]SERVER/wals/<first 16 chars>/<segment or .backup file>[.gz|.bz2|.xz|.snappy|.zst|.lz4]
//   [PREFIX/]SERVER/wals/<timeline>.history[.ext]
import { FailureTypes, RestoreError } from '../shared';
import { isBackupHistoryFileName, isHistoryFileName, isSegmentName, walHashDir } from './wal-names';

export type WalCompression = 'gzip' | 'bzip2' | 'snappy' | 'xz' | 'zstd' | 'lz4' | 'none';
export type BaseBackupCompression = 'gzip' | 'bzip2' | 'snappy' | 'lz4' | 'none';

export interface WalKey {
  kind: 'segment' | 'history' | 'backup-history';
  /** The bare file name, without compression extension, as PostgreSQL and Barman name it. */
  name: string;
  compression: WalCompression;
}

export interface BaseBackupObjectKey {
  backupId: string;
  kind: 'backup.info' | 'data' | 'tablespace';
  tablespaceOid?: number;
  /** 0 for the first tar (`data.tar.gz`), n for `data_000n.tar.gz`. */
  part?: number;
  compression: BaseBackupCompression;
}

/** The same extensions as barman-cloud's ALLOWED_COMPRESSIONS. */
const WAL_EXTENSIONS = new Map<string, WalCompression>([
  ['gz', 'gzip'],
  ['bz2', 'bzip2'],
  ['snappy', 'snappy'],
  ['xz', 'xz'],
  ['zst', 'zstd'],
  ['lz4', 'lz4'],
]);
/** barman-cloud-backup's --gzip, --bzip2, --snappy and --lz4 (3.18+). */
const BASE_EXTENSIONS = new Map<string, BaseBackupCompression>([
  ['gz', 'gzip'],
  ['bz2', 'bzip2'],
  ['snappy', 'snappy'],
  ['lz4', 'lz4'],
]);

const SERVER_NAME = /^[A-Za-z0-9._-]+$/;
const HASH_DIR = /^[0-9A-F]{16}$/;
// Barman's own backup id check (barman.utils.is_backup_id).
const BACKUP_ID = /^\d{8}T\d{6}$/;
const BASE_TAR = new RegExp(`^(data|[1-9]\\d*)(?:_(\\d{4,}))?\\.tar(?:\\.(${[...BASE_EXTENSIONS.keys()].join('|')}))?$`);

export class InvalidServerNameError extends RestoreError {
  constructor(readonly server: string) {
    super(
      FailureTypes.InvalidInput,
      `server name ${JSON.stringify(server)} is not valid: use the barman-cloud server folder name, made of ` +
        `letters, digits, ".", "_" and "-" (not empty, not "." or "..", not starting with "-", no "/")`,
    );
    this.name = 'InvalidServerNameError';
  }
}

export function assertValidServerName(server: string): void {
  // A leading "-" would be read as an option by barman, to which the name is an argument.
  if (!SERVER_NAME.test(server) || server === '.' || server === '..' || server.startsWith('-')) throw new InvalidServerNameError(server);
}

export function isBackupId(id: string): boolean {
  return BACKUP_ID.test(id);
}

/** `SERVER/` under the bucket prefix. Leading and trailing slashes of the prefix are dropped, as barman-cloud does. */
export function serverPrefix(prefix: string, server: string): string {
  assertValidServerName(server);
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? `${server}/` : `${trimmed}/${server}/`;
}

export function baseBackupsPrefix(prefix: string, server: string): string {
  return `${serverPrefix(prefix, server)}base/`;
}

export function backupInfoKey(prefix: string, server: string, backupId: string): string {
  if (!isBackupId(backupId)) {
    throw new Error(`not a barman backup id: ${JSON.stringify(backupId)}; expected YYYYMMDDTHHMMSS`);
  }
  return `${baseBackupsPrefix(prefix, server)}${backupId}/backup.info`;
}

export function walsPrefix(prefix: string, server: string): string {
  return `${serverPrefix(prefix, server)}wals/`;
}

export function walHashDirPrefix(prefix: string, server: string, hashDir: string): string {
  if (!HASH_DIR.test(hashDir)) {
    throw new Error(`not a WAL hash folder: ${JSON.stringify(hashDir)}; expected 16 upper-case hex digits`);
  }
  return `${walsPrefix(prefix, server)}${hashDir}/`;
}

/**
 * What a key under `wals/` holds, or null for anything barman-cloud would not have written there
 * (partial files, unknown extensions, a segment outside its hash folder).
 */
export function parseWalKey(key: string): WalKey | null {
  const parts = key.split('/');
  const file = parts[parts.length - 1]!;
  const folder = parts[parts.length - 2];
  const dot = file.lastIndexOf('.');
  const extension = dot < 0 ? '' : file.slice(dot + 1);
  const compression = WAL_EXTENSIONS.get(extension);
  const name = compression === undefined ? file : file.slice(0, dot);

  if (isHistoryFileName(name)) {
    return folder === 'wals' ? { kind: 'history', name, compression: compression ?? 'none' } : null;
  }
  const kind = isSegmentName(name) ? 'segment' : isBackupHistoryFileName(name) ? 'backup-history' : null;
  if (kind === null || folder !== walHashDir(name) || parts[parts.length - 3] !== 'wals') return null;
  return { kind, name, compression: compression ?? 'none' };
}

/** What a key under `base/<id>/` holds, or null for any other key. */
export function parseBaseBackupObjectKey(key: string): BaseBackupObjectKey | null {
  const parts = key.split('/');
  if (parts.length < 3 || parts[parts.length - 3] !== 'base') return null;
  const backupId = parts[parts.length - 2]!;
  const file = parts[parts.length - 1]!;
  if (!isBackupId(backupId)) return null;
  if (file === 'backup.info') return { backupId, kind: 'backup.info', compression: 'none' };

  const m = BASE_TAR.exec(file);
  if (!m) return null;
  const part = m[2] === undefined ? 0 : Number(m[2]);
  if (m[2] !== undefined && part === 0) return null;
  const compression = m[3] === undefined ? 'none' : BASE_EXTENSIONS.get(m[3])!;
  if (m[1] === 'data') return { backupId, kind: 'data', part, compression };
  const tablespaceOid = Number(m[1]);
  if (!Number.isSafeInteger(tablespaceOid) || tablespaceOid > 0xffff_ffff) return null;
  return { backupId, kind: 'tablespace', tablespaceOid, part, compression };
}

/**
 * The order a backup's tars are extracted in: `data` before the tablespaces (by OID), and the parts of one
 * directory in part order. barman-cloud cuts one directory's archive into `data.tar`, `data_0001.tar`, ...
 * (`_build_dest_name` in barman/cloud.py: "%s_%04d", so part 10000 has five digits), and a later part may
 * hold what refers to an earlier one (a file in a directory, a link). Neither the listing's byte order
 * ("data_10000" < "data_9999") nor a locale-aware one ("data_0001" < "data.tar") is that order.
 */
export function compareBaseBackupObjects(
  a: Pick<BaseBackupObjectKey, 'kind' | 'tablespaceOid' | 'part'>,
  b: Pick<BaseBackupObjectKey, 'kind' | 'tablespaceOid' | 'part'>,
): number {
  const directory = (o: typeof a) => (o.kind === 'data' ? -1 : (o.tablespaceOid ?? 0));
  return directory(a) - directory(b) || (a.part ?? 0) - (b.part ?? 0);
}

export interface PartGap {
  /** `data`, or a tablespace's OID. */
  directory: string;
  /** Part numbers absent below the highest present (0 is data.tar* itself). */
  missing: number[];
  present: number[];
}

/**
 * The directories of a backup whose parts are not 0..n without a gap. barman-cloud numbers a directory's
 * parts from 0 as it uploads them, and uploads backup.info last, so a gap means objects were lost (or
 * deleted) after the backup: extracting the rest would silently leave out the files of the missing parts.
 */
export function basePartGaps(objects: readonly Pick<BaseBackupObjectKey, 'kind' | 'tablespaceOid' | 'part'>[]): PartGap[] {
  const parts = new Map<string, Set<number>>();
  for (const o of objects) {
    const directory = o.kind === 'data' ? 'data' : String(o.tablespaceOid);
    parts.set(directory, (parts.get(directory) ?? new Set()).add(o.part ?? 0));
  }
  const gaps: PartGap[] = [];
  for (const [directory, set] of parts) {
    const present = [...set].sort((a, b) => a - b);
    const missing: number[] = [];
    for (let n = 0; n < present[present.length - 1]!; n++) if (!set.has(n)) missing.push(n);
    if (missing.length > 0) gaps.push({ directory, missing, present });
  }
  return gaps;
}

