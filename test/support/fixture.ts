// The real barman-cloud fixture made by scripts/make-fixture.sh, and targets derived from its
// marker rows (each committed about a second after the one before).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromEpochMicros, parseOffsetTimestamp, toEpochMicros, type UtcMicros } from '../../src/core/timestamp';
import { STACK_DIR } from './stack-env';

export interface FixtureBackup {
  id: string;
  beginTime: string;
  endTime: string;
  beginWal: string;
  endWal: string;
}

export interface Marker {
  label: string;
  committedAt: UtcMicros;
  /** The inserting transaction's id. */
  xid?: string;
}

export interface RestorePoint {
  name: string;
  lsn: string;
}

export interface Fixture {
  server: string;
  bucket: string;
  prefix: string;
  backups: FixtureBackup[];
  markers: Marker[];
  restorePoints: RestorePoint[];
}

export function loadFixture(): Fixture {
  const file = join(STACK_DIR, 'fixture.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run fixture\` (after \`npm run stack:up\`)`);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Fixture;
  return {
    ...raw,
    backups: [...raw.backups].sort((a, b) => utc(a.endTime).localeCompare(utc(b.endTime))),
    markers: raw.markers.map((m) => ({ label: m.label, committedAt: utc(m.committedAt), xid: m.xid })),
    restorePoints: raw.restorePoints ?? [],
  };
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
export function between(a: Marker, b: Marker): UtcMicros {
  return fromEpochMicros(Math.round((toEpochMicros(a.committedAt) + toEpochMicros(b.committedAt)) / 2));
}

/** Labels of markers committed at or before the target: what a restore to it must contain. */
export function labelsUpTo(fixture: Fixture, target: UtcMicros): string[] {
  return fixture.markers
    .filter((m) => m.committedAt <= target)
    .map((m) => m.label)
    .sort();
}
