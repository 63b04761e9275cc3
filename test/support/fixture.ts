// The real barman-cloud fixtures made by scripts/make-fixture.sh (.stack/fixtures/<server>.json: the
// default `pg` and the compatibility matrix of scripts/fixture-matrix.txt), and targets derived from
// their marker rows (each committed about a second after the one before).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromEpochMicros, parseOffsetTimestamp, toEpochMicros, type UtcMicros } from '../../src/core/timestamp';
import { REPO_ROOT, STACK_DIR } from './stack-env';

export interface FixtureBackup {
  id: string;
  beginTime: string;
  endTime: string;
  beginWal: string;
  endWal: string;
  /** Where the restored cluster first becomes consistent (backup.info end_xlog). */
  endXlog: string;
}

export interface Marker {
  label: string;
  committedAt: UtcMicros;
  /** The inserting transaction's id. */
  xid?: string;
  /** The WAL insert position when its row was built: its commit record comes after it. */
  lsn: string;
  /** Failover fixture: the timelines whose history holds this row (1 and 2 for rows before the branch). */
  timelines?: number[];
}

/** Failover fixture: where the promoted copy's timeline left its parent (from its own .history file). */
export interface FixtureBranch {
  timeline: number;
  parentTimeline: number;
  switchLsn: string;
  reason: string;
  /** The copy's recovery_target_time, halfway between after-b1-1 and after-b1-2. */
  copyRecoveryTargetTime: string;
}

export interface RestorePoint {
  name: string;
  lsn: string;
}

export type BaseCompression = 'gzip' | 'bzip2' | 'snappy' | 'lz4' | 'none';
export type WalCompression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'lz4' | 'snappy' | 'none';
/**
 * full: two backups, markers before-b1-*, after-b1-1..3, during-b2-*, after-b2-1..3, tail; restore point
 * after-b2-1. small: marker before-b1-1, one backup, markers after-b1-1..3; restore point after-b1-2.
 * failover: before-b1-1, one backup, after-b1-1..3 on timeline 1; a point-in-time copy to between
 * after-b1-1 and after-b1-2 promoted to timeline 2 (same server folder) with tl2-1, tl2-2; then after-b1-4 on
 * timeline 1; no restore point. tablespace: the small shape with a tablespace ts1 (table ts_rows: 1000 seed
 * rows; each after-b1-* marker adds its row and updates a third of the seeds in its transaction), then
 * max_connections raised on the source (restart) and markers after-raise-1, after-raise-2.
 */
export type FixtureShape = 'full' | 'small' | 'failover' | 'tablespace';

/** Tablespace fixture: a tablespace of the source, as the source cluster had it. */
export interface FixtureTablespace {
  name: string;
  oid: number;
  /** Its folder on the source (under the source cluster's folder, replaced by the next fixture build). */
  location: string;
  /** The table stored in it: `seedRows` rows `seed-N` before the backup, then a row per after-b1-* marker. */
  table: string;
  seedRows: number;
}

/** Tablespace fixture: a setting raised on the source (ALTER SYSTEM, restart) after the backup. */
export interface FixtureParameterRaise {
  setting: string;
  from: number;
  to: number;
  /** The last marker committed before the raise, and the first after it. */
  afterMarker: string;
  beforeMarker: string;
}

/** The parameters of a fixture: what wrote it (one line of scripts/fixture-matrix.txt). */
export interface FixtureCase {
  server: string;
  /** The barman-cloud version that wrote the backups and archived the WAL: '3.4' (Debian's) or '3.19.1'. */
  barmanCloudVersion: string;
  baseCompression: BaseCompression;
  walCompression: WalCompression;
  pgMajor: number;
  shape: FixtureShape;
}

export interface Fixture extends FixtureCase {
  bucket: string;
  prefix: string;
  backups: FixtureBackup[];
  markers: Marker[];
  restorePoints: RestorePoint[];
  /** Failover fixture only. */
  branch?: FixtureBranch;
  /** Tablespace fixture only. */
  tablespaces?: FixtureTablespace[];
  parameterRaise?: FixtureParameterRaise;
}

/** The fixture of a server folder, .stack/fixtures/<server>.json (default: the `pg` fixture). */
export function loadFixture(server = 'pg'): Fixture {
  const file = join(STACK_DIR, 'fixtures', `${server}.json`);
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: run \`npm run fixture\`${server === 'pg' ? '' : ` with the parameters of '${server}' in scripts/fixture-matrix.txt`} (after \`npm run stack:up\`), or \`npm test\``,
    );
  }
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Fixture;
  return {
    ...raw,
    backups: [...raw.backups].sort((a, b) => utc(a.endTime).localeCompare(utc(b.endTime))),
    markers: raw.markers.map((m) => ({ label: m.label, committedAt: utc(m.committedAt), xid: m.xid, lsn: m.lsn, ...(m.timelines ? { timelines: m.timelines } : {}) })),
    restorePoints: raw.restorePoints ?? [],
  };
}

/** The cases of scripts/fixture-matrix.txt (which scripts/test.sh builds before mocha), in file order. */
export function fixtureMatrix(): FixtureCase[] {
  const file = join(REPO_ROOT, 'scripts', 'fixture-matrix.txt');
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [server, barmanCloudVersion, baseCompression, walCompression, pgMajor, shape, ...rest] = line.split(/\s+/);
      if (!shape || rest.length) throw new Error(`${file}: malformed line '${line}'`);
      return {
        server,
        barmanCloudVersion,
        baseCompression: baseCompression as BaseCompression,
        walCompression: walCompression as WalCompression,
        pgMajor: Number(pgMajor),
        shape: shape as FixtureShape,
      };
    });
}

export function utc(text: string): UtcMicros {
  const parsed = parseOffsetTimestamp(text);
  if (!parsed) throw new Error(`fixture time ${text} does not parse`);
  return parsed;
}

export function marker(fixture: Fixture, label: string): Marker {
  const found = fixture.markers.find((m) => m.label === label);
  if (!found) throw new Error(`fixture has no marker ${label}; it has ${fixture.markers.map((m) => m.label).join(', ')}`);
  return found;
}

/** The instant halfway between two markers' commits. */
export function between(a: Pick<Marker, 'committedAt'>, b: Pick<Marker, 'committedAt'>): UtcMicros {
  return fromEpochMicros(Math.round((toEpochMicros(a.committedAt) + toEpochMicros(b.committedAt)) / 2));
}

/** Labels of markers committed at or before the target: what a restore to it must contain. */
export function labelsUpTo(fixture: Fixture, target: UtcMicros): string[] {
  return fixture.markers
    .filter((m) => m.committedAt <= target)
    .map((m) => m.label)
    .sort();
}
