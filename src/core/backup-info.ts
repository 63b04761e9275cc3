// backup.info as written by barman-cloud-backup: `key=value` lines (docs/barman-pitr-facts.md §2), read the way Barman reads them.
import { FailureTypes, RestoreError } from '../shared';
import { parsePythonLiteral, PythonLiteralError } from './python-literal';
import { excerpt } from './untrusted-text';
import { parseOffsetTimestamp, type UtcMicros } from './timestamp';
import {
  DEFAULT_SEGMENT_SIZE,
  assertValidSegmentSize,
  formatLsn,
  isSegmentName,
  parseLsn,
  segmentIndex,
} from './wal-names';

export interface Tablespace {
  name: string;
  oid: number;
  location: string;
}

/**
 * The backup.info fields a restore plan needs that this one lacks (barman-cloud-backup writes them all for a
 * completed backup): where its WAL begins and ends, its timeline, PostgreSQL version and end time.
 */
export function missingPlanFields(info: BackupInfo): string[] {
  const fields: [string, unknown][] = [
    ['begin_wal', info.beginWal],
    ['end_wal', info.endWal],
    ['end_xlog', info.endXlog],
    ['timeline', info.timeline],
    ['version', info.pgVersion],
    ['end_time', info.endTime],
  ];
  return fields.filter(([, value]) => value === null || value === undefined || value === '').map(([name]) => name);
}

/** A backup.info with every field a restore plan needs. */
export type PlannableBackupInfo = BackupInfo & { beginWal: string; endWal: string; endXlog: string; timeline: number; pgVersion: number; endTime: UtcMicros };

export function isPlannable(info: BackupInfo): info is PlannableBackupInfo {
  return missingPlanFields(info).length === 0;
}

export interface BackupInfo {
  backupId: string;
  /** `DONE` for a usable backup; also `FAILED`, `STARTED`, `WAITING_FOR_WALS`, … */
  status: string;
  beginTime: UtcMicros | null;
  /** The earliest time this backup can recover to. */
  endTime: UtcMicros | null;
  /** The first WAL segment recovery needs. */
  beginWal: string | null;
  endWal: string | null;
  beginXlog: string | null;
  /** The consistency point: recovery cannot stop earlier. */
  endXlog: string | null;
  timeline: number | null;
  segmentSize: number;
  /** Major version, e.g. 15 for 150018; 9 for 90624. */
  pgVersion: number | null;
  /** `server_version_num`, e.g. 150018. */
  versionNum: number | null;
  systemId: string | null;
  tablespaces: Tablespace[];
  error: string | null;
  /** How the backup was taken: None from barman-cloud-backup; `postgres`, `rsync-*`, `snapshot` from a Barman server. */
  mode: string | null;
  /** A Barman server's own backup compression (its data tar then holds `base.tar.*`); None from barman-cloud-backup, even with --gzip. */
  compression: string | null;
  /** `gpg` when a Barman server encrypted the backup (3.14+). */
  encryption: string | null;
  /** Set on a PostgreSQL 17 incremental backup (3.11+): it holds only what changed since that backup. */
  parentBackupId: string | null;
  /** The cloud provider of a snapshot backup (`--snapshot-*`): its data is in disk snapshots, not tarballs. */
  snapshotProvider: string | null;
  /**
   * The cluster's size as backup.info records it, the larger of `cluster_size` (barman-cloud 3.11+: the sum of
   * pg_tablespace_size) and `size` (a Barman server's); null when neither is a whole number (barman-cloud
   * before 3.11 writes size=None). It bounds the extraction (core/extraction-limits), nothing else.
   */
  recordedSize?: number | null;
}

export class InvalidBackupInfoError extends RestoreError {
  constructor(
    readonly backupId: string,
    /** What is wrong, quoting at most a short excerpt of the file. */
    readonly detail: string,
  ) {
    // Only a backup asked for by id fails so: listing skips it with a note (backup-catalog), so pitr chooses among the others.
    super(
      FailureTypes.CorruptArchive,
      `backup.info of backup ${backupId} cannot be used: ${detail}. Restore from another backup: name another with --backup-id, ` +
        'or leave --backup-id out and pitr chooses among the usable ones',
    );
    this.name = 'InvalidBackupInfoError';
  }
}

export function parseBackupInfo(backupId: string, text: string): BackupInfo {
  const fail = (detail: string): never => {
    throw new InvalidBackupInfoError(backupId, detail);
  };
  const fields = readFields(text, fail);
  const field = (key: string): string | null => {
    const raw = fields.get(key);
    return raw === undefined || raw === 'None' ? null : raw;
  };

  const status = field('status');
  if (status === null || status === '') fail('it has no "status" line; it is not a backup.info written by Barman');

  const time = (key: string): UtcMicros | null => {
    const value = field(key);
    if (value === null) return null;
    return parseOffsetTimestamp(value) ?? fail(`${key} ${excerpt(value)} is not a time with a UTC offset`);
  };
  const integer = (key: string): number | null => {
    const value = field(key);
    if (value === null) return null;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      fail(`${key} ${excerpt(value)} is not a whole number`);
    }
    return Number(value);
  };
  const segment = (key: string, segmentSize: number): string | null => {
    const value = field(key);
    if (value === null) return null;
    if (!isSegmentName(value)) fail(`${key} ${excerpt(value)} is not a WAL segment name`);
    try {
      segmentIndex(value, segmentSize);
    } catch (e) {
      fail(`${key}: ${(e as Error).message}`);
    }
    return value;
  };
  const lsn = (key: string): string | null => {
    const value = field(key);
    if (value === null) return null;
    try {
      return formatLsn(parseLsn(value));
    } catch {
      return fail(`${key} ${excerpt(value)} is not a WAL location such as 0/26000028`);
    }
  };

  const segmentSize = integer('xlog_segment_size') ?? DEFAULT_SEGMENT_SIZE;
  try {
    assertValidSegmentSize(segmentSize);
  } catch (e) {
    fail(`xlog_segment_size: ${(e as Error).message}`);
  }
  const timeline = integer('timeline');
  if (timeline === 0) fail('timeline 0 does not exist');
  const versionNum = integer('version');

  return {
    backupId,
    status: status!,
    beginTime: time('begin_time'),
    endTime: time('end_time'),
    beginWal: segment('begin_wal', segmentSize),
    endWal: segment('end_wal', segmentSize),
    beginXlog: lsn('begin_xlog'),
    endXlog: lsn('end_xlog'),
    timeline,
    segmentSize,
    pgVersion: versionNum === null ? null : Math.floor(versionNum / 10_000),
    versionNum,
    systemId: field('systemid'),
    tablespaces: parseTablespaces(field('tablespaces'), fail),
    error: field('error'),
    mode: field('mode'),
    compression: field('compression'),
    encryption: field('encryption'),
    parentBackupId: field('parent_backup_id'),
    snapshotProvider: snapshotProvider(field('snapshots_info')),
    recordedSize: recordedSize([field('cluster_size'), field('size')]),
  };
}

// Lenient: a size only bounds the extraction, so one that is not a whole number counts as no size, not as
// a broken backup.info.
function recordedSize(values: (string | null)[]): number | null {
  const sizes = values.filter((v): v is string => v !== null && /^\d+$/.test(v)).map(Number).filter(Number.isSafeInteger);
  return sizes.length === 0 ? null : Math.max(...sizes);
}

// snapshots_info is a Python dict literal whose `provider` names the cloud (barman/cloud_providers).
function snapshotProvider(value: string | null): string | null {
  if (value === null) return null;
  return /['"]provider['"]\s*:\s*['"]([^'"]+)['"]/.exec(value)?.[1] ?? 'unknown';
}

/** key → value with Python string literals decoded; Barman's rules: split at the first `=`, trim both sides. */
function readFields(text: string, fail: (detail: string) => never): Map<string, string> {
  const fields = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq < 0) fail(`line ${i + 1} is not key=value: ${excerpt(line)}`);
    fields.set(line.slice(0, eq).trim(), decodeValue(line.slice(eq + 1).trim()));
  });
  return fields;
}

// Some fields are stored with repr() (quoted), others with str(); a quoted value that is not one whole
// Python string is kept verbatim.
function decodeValue(value: string): string {
  if (!/^['"]/.test(value)) return value;
  try {
    const decoded = parsePythonLiteral(value);
    return typeof decoded === 'string' ? decoded : value;
  } catch {
    return value;
  }
}

function parseTablespaces(value: string | null, fail: (detail: string) => never): Tablespace[] {
  if (value === null) return [];
  const expected = `tablespaces ${excerpt(value)} is not a list of (name, oid, location)`;
  let parsed;
  try {
    parsed = parsePythonLiteral(value);
  } catch (e) {
    // The value is quoted once, above; the parser's own message would quote it again.
    return fail(e instanceof PythonLiteralError ? `${expected}: ${e.why} at character ${e.position}` : `${expected}: ${(e as Error).message}`);
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) return fail(expected);
  return parsed.map((item) => {
    if (
      !Array.isArray(item) ||
      item.length !== 3 ||
      typeof item[0] !== 'string' ||
      typeof item[1] !== 'number' ||
      typeof item[2] !== 'string'
    ) {
      return fail(expected);
    }
    return { name: item[0], oid: item[1], location: item[2] };
  });
}
