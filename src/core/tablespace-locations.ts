// Where each tablespace of the backup is restored. backup.info records every tablespace with the folder it
// had on the source host; Barman, handed no relocation, writes each tablespace there (3.4 with rsync
// --delete into whatever is there, 3.19 into an empty or missing folder): on the worker's host that path may
// be another cluster's live tablespace, and two restores of one backup would share it. So a restore never
// uses the recorded folder unless the user names it: a tablespace the user does not place with
// `--tablespace NAME=DIR` goes beside the data directory, at `<destination>.tablespaces/<name>` (never
// inside PGDATA, where a later restore with --force would move it aside with the data directory, and never
// where another restore's destination would be derived from).
// Pure: no I/O, no Node builtins (the workflow bundle may import it).
import { FailureTypes, RestoreError } from '../shared';
import type { Tablespace } from './backup-info';

/** A tablespace's location as the user chose it (`--tablespace NAME=DIR`; RestoreInput.tablespaces). */
export interface TablespaceChoice {
  name: string;
  /** Absolute, normalised folder. */
  location: string;
}

/** Where the restore puts one tablespace of the chosen backup. */
export interface TablespacePlacement {
  name: string;
  oid: number;
  location: string;
  /** `named`: the user's --tablespace; `default`: derived from the destination (tablespaceDefaultLocation). */
  source: 'named' | 'default';
  /** The folder the tablespace had on the source host, as backup.info records it (for messages only). */
  original: string;
}

/**
 * The default location of tablespace `name` of a restore into `destination`: `<destination>.tablespaces/<name>`;
 * null when the name cannot be a folder name (a `/`, a leading `.`, a control character, ...): such a
 * tablespace must be placed with --tablespace.
 */
export function tablespaceDefaultLocation(destination: string, name: string): string | null {
  if (!isPlainFolderName(name)) return null;
  return `${destination === '/' ? '' : destination}.tablespaces/${name}`;
}

function isPlainFolderName(name: string): boolean {
  return /^[\p{L}\p{N}_][\p{L}\p{N}_.\-+@=]*$/u.test(name) && name.length <= 255;
}

/**
 * One `--tablespace NAME=DIR` value: the name before the first `=`, the folder after it (absolute,
 * normalised). Throws an Error saying what is accepted.
 */
export function parseTablespaceOption(text: string): TablespaceChoice {
  const at = text.indexOf('=');
  const example = 'e.g. --tablespace ts1=/var/lib/postgresql/restored-ts1';
  if (at <= 0) throw new Error(`--tablespace ${JSON.stringify(text)}: expected NAME=DIR, the tablespace's name and the absolute folder to restore it to (${example})`);
  const choice = { name: text.slice(0, at), location: text.slice(at + 1) };
  const problem = tablespaceChoiceProblem(choice);
  if (problem) throw new Error(`--tablespace ${JSON.stringify(text)}: ${problem} (${example})`);
  return choice;
}

/** Why one choice cannot be used (name or location), or null. */
function tablespaceChoiceProblem(choice: TablespaceChoice): string | null {
  if (choice.name === '' || /\p{Cc}/u.test(choice.name)) return 'the tablespace name is empty or holds control characters';
  // Barman reads its own --tablespace NAME:DIR up to the first ':'.
  if (choice.name.includes(':')) return `the tablespace name ${JSON.stringify(choice.name)} contains ':', which Barman's --tablespace NAME:DIR cannot carry`;
  if (!isAbsoluteNormalised(choice.location) || choice.location === '/') {
    return `the location ${JSON.stringify(choice.location)} is not an absolute, normalised folder (starting with "/", no "." or ".." component, no "//", no trailing "/"), other than "/"`;
  }
  if (/\p{Cc}/u.test(choice.location)) return `the location ${JSON.stringify(choice.location)} holds control characters`;
  return null;
}

/**
 * The problems of RestoreInput.tablespaces as a client sent it (the field is optional): an array of
 * {name, location}, each name once, each location absolute and normalised, none overlapping another or
 * the destination. Empty when it is valid.
 */
export function tablespaceChoicesProblems(value: unknown, destination: unknown): string[] {
  if (!Array.isArray(value)) return [`tablespaces is ${typeof value}; expected an array of {name, location}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  const valid: TablespaceChoice[] = [];
  value.forEach((item: unknown, i) => {
    const o = item as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.location !== 'string' || Object.keys(o).some((k) => k !== 'name' && k !== 'location')) {
      problems.push(`tablespaces[${i}] is not {name, location} with two strings`);
      return;
    }
    const choice = { name: o.name, location: o.location };
    const problem = tablespaceChoiceProblem(choice);
    if (problem) problems.push(`tablespaces[${i}]: ${problem}`);
    else if (seen.has(choice.name)) problems.push(`tablespaces[${i}]: tablespace ${JSON.stringify(choice.name)} is placed twice; name each tablespace once`);
    else {
      seen.add(choice.name);
      valid.push(choice);
    }
  });
  const overlap = typeof destination === 'string' ? locationOverlap(destination, valid) : null;
  if (overlap) problems.push(`tablespaces: ${overlap}`);
  return problems;
}

/**
 * Where each tablespace of `backupTablespaces` goes: the user's choice, else the default location. Throws a
 * non-retryable InvalidInput naming the backup's tablespaces when a choice names none of them, or when a
 * tablespace needs a choice (its name cannot be a folder name) and has none.
 */
export function placeTablespaces(
  backupId: string,
  backupTablespaces: readonly Tablespace[],
  choices: readonly TablespaceChoice[] | undefined,
  destination: string,
): TablespacePlacement[] {
  const names = backupTablespaces.map((t) => t.name);
  const listed = names.length === 0 ? 'it has no tablespaces' : `its tablespaces are ${names.map((n) => JSON.stringify(n)).join(', ')}`;
  const unknown = (choices ?? []).filter((c) => !names.includes(c.name));
  if (unknown.length > 0) {
    throw new RestoreError(
      FailureTypes.InvalidInput,
      `--tablespace names ${unknown.map((c) => JSON.stringify(c.name)).join(', ')}, which backup ${backupId} does not have: ${listed}. ` +
        'Name only these (NAME=DIR), or leave --tablespace out: each tablespace then goes to <destination>.tablespaces/<name>. Nothing was changed',
    );
  }
  const placements = backupTablespaces.map((t): TablespacePlacement => {
    const chosen = choices?.find((c) => c.name === t.name);
    if (chosen) return { name: t.name, oid: t.oid, location: chosen.location, source: 'named', original: t.location };
    const location = tablespaceDefaultLocation(destination, t.name);
    if (location === null || t.name.includes(':')) {
      throw new RestoreError(
        FailureTypes.InvalidInput,
        `tablespace ${JSON.stringify(t.name)} (oid ${t.oid}) of backup ${backupId} has a name that cannot be a folder name, so it has no default location ` +
          `beside the destination; place it with --tablespace ${JSON.stringify(`${t.name}=DIR`)} (an absolute folder). Nothing was changed`,
      );
    }
    return { name: t.name, oid: t.oid, location, source: 'default', original: t.location };
  });
  const overlap = locationOverlap(destination, placements);
  if (overlap) throw new RestoreError(FailureTypes.InvalidInput, `${overlap}. Nothing was changed`);
  return placements;
}

/** `--tablespace NAME:DIR` for each placement: Barman's relocation rules, so that no tablespace goes to its recorded folder. */
export function barmanTablespaceArgs(placements: readonly Pick<TablespacePlacement, 'name' | 'location'>[]): string[] {
  return placements.flatMap((p) => ['--tablespace', `${p.name}:${p.location}`]);
}

/** The first overlap between the destination and the locations, or among the locations, said as a sentence; null when none. */
function locationOverlap(destination: string, choices: readonly TablespaceChoice[]): string | null {
  for (const c of choices) {
    if (within(c.location, destination) || within(destination, c.location)) {
      return `tablespace ${JSON.stringify(c.name)}'s location ${c.location} ${c.location === destination ? 'is' : within(c.location, destination) ? 'is inside' : 'contains'} the destination ${destination}; a tablespace must lie outside the data directory, which must not lie inside it either`;
    }
  }
  for (const [i, a] of choices.entries()) {
    for (const b of choices.slice(i + 1)) {
      if (within(a.location, b.location) || within(b.location, a.location)) {
        return `tablespaces ${JSON.stringify(a.name)} (${a.location}) and ${JSON.stringify(b.name)} (${b.location}) overlap; give each tablespace a folder of its own`;
      }
    }
  }
  return null;
}

/** Whether `path` is `parent` or lies inside it (both absolute, normalised). */
function within(path: string, parent: string): boolean {
  return path === parent || parent === '/' || path.startsWith(`${parent}/`);
}

/** Starts with "/", no "." or ".." component, no "//", no trailing "/" ("/" itself is one: policies say where a restore may go). */
export function isAbsoluteNormalised(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/')) return false;
  return path
    .slice(1)
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..');
}
