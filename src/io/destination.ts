// The data directory a restore creates. An existing, non-empty directory is never overwritten:
// without force the restore is refused; with force the old directory is moved aside, never deleted.
import { chmod, chown, lstat, mkdir, readdir, readFile, realpath, rename } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { destinationPolicyViolation } from '../core/destination-policy';
import { claimAuthorises, formatClaim, parseClaim, type DestinationClaim, type DirectoryIdentity, type RestoreRun } from '../core/destination-claim';
import { FailureTypes, RestoreError } from '../shared';
import { directoryIdentity, readRecord, writeRecord, type DestinationControl } from './destination-control';
import { nullIfAbsent, pathExists } from './path-exists';
import { processAlive } from './processes';
import { emptyDirectory } from './tree-operations';
import { userIds } from './user-ids';

export type DestinationState = 'absent' | 'empty' | 'not-empty';

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface DestinationCheckOptions {
  workRoot: string;
  force: boolean;
  /** PITR_DESTINATION_ROOTS (empty: anywhere but system directories). */
  roots: string[];
}

/** Read-only checks, run before anything is copied. */
export async function inspectDestination(destination: string, options: DestinationCheckOptions): Promise<DestinationState> {
  if (!isAbsolute(destination) || resolve(destination) !== destination) {
    throw new RestoreError(FailureTypes.InvalidDestination, `destination "${destination}" must be an absolute, normalised path, e.g. /var/lib/postgresql/restored`);
  }
  // Every check below reads the path as given: it must be the real one, with no symbolic link on the way.
  const real = await realDestination(destination);
  if (real !== destination) {
    throw new RestoreError(
      FailureTypes.InvalidDestination,
      `destination ${destination} leads through a symbolic link to ${real}; nothing was changed. Give the real path (${real}), so that what is checked is what is written`,
    );
  }
  const violation = destinationPolicyViolation(destination, { roots: options.roots });
  if (violation) throw new RestoreError(FailureTypes.InvalidDestination, `destination refused: ${violation}; nothing was changed`);
  if (isInside(destination, options.workRoot) || isInside(options.workRoot, destination)) {
    throw new RestoreError(
      FailureTypes.InvalidDestination,
      `destination ${destination} overlaps the worker's Barman work area ${options.workRoot}; choose a directory outside it`,
    );
  }
  const stats = await nullIfAbsent(lstat(destination));
  if (!stats) return 'absent';
  if (!stats.isDirectory()) {
    throw new RestoreError(FailureTypes.InvalidDestination, `destination ${destination} exists and is not a directory; name a new or empty directory`);
  }
  const entries = await readdir(destination);
  if (entries.length === 0) return 'empty';
  const postmaster = await livePostmaster(destination);
  if (postmaster !== null) {
    throw new RestoreError(
      FailureTypes.InvalidDestination,
      `destination ${destination} holds a running PostgreSQL (its postmaster.pid names process ${postmaster}, which is alive); nothing was changed. ` +
        'Stop that server first, or choose another directory: not even --force moves a running cluster aside',
    );
  }
  if (!options.force) {
    throw new RestoreError(
      FailureTypes.DestinationNotEmpty,
      `destination ${destination} is not empty (${entries.length} entries, e.g. ${entries.slice(0, 3).join(', ')}); nothing was changed. Choose an empty or new directory, or pass --force to move the existing one aside (it is never deleted)`,
    );
  }
  return 'not-empty';
}

/** `inspect`'s verdict as `pitr plan` reports it: the state, and why a restore would refuse it as it is (null: it would not; a non-empty one is `notEmpty`). */
export async function dryRunCheck(inspect: () => Promise<DestinationState>, notEmpty: string): Promise<{ state: DestinationState | null; problem: string | null }> {
  try {
    const state = await inspect();
    return { state, problem: state === 'not-empty' ? `${notEmpty}: a restore refuses it unless run with --force, which moves it aside (never deletes it)` : null };
  } catch (err) {
    if (err instanceof RestoreError) return { state: null, problem: err.message };
    throw err;
  }
}

/**
 * Makes the destination an empty directory owned by `owner`, recording in the claim that this run took it,
 * and which directory it is, so that a retry of this run may clear its own partial output and nothing else.
 * Returns where an existing directory was moved to, if one was.
 */
export async function claimDestination(
  destination: string,
  options: DestinationCheckOptions & { control: DestinationControl; run: RestoreRun; owner: string; movedAsideSuffix: string; signal?: AbortSignal },
): Promise<string | null> {
  const claim = parseClaim((await readRecord(options.control.claimFile)) ?? '');
  if (claimAuthorises(claim, options.run, destination, await directoryIdentity(destination))) {
    // This run's own partial output from an earlier attempt, in the directory this run took: clear it.
    await emptyDirectory(destination, options.signal);
    return null;
  }
  const state = await inspectDestination(destination, options);
  let movedAside: (DirectoryIdentity & { path: string }) | undefined;
  if (state === 'not-empty') {
    const path = `${destination}.${options.movedAsideSuffix}`;
    if (await pathExists(path)) {
      throw new RestoreError(
        FailureTypes.DestinationNotEmpty,
        `destination ${destination} is not empty, and ${path}, where --force would move it, already exists; nothing was changed. Move one of them away first`,
      );
    }
    const identity = (await directoryIdentity(destination))!;
    await rename(destination, path);
    movedAside = { path, ...identity };
  }
  const { uid, gid } = await userIds(options.owner);
  let previous: DestinationClaim['previous'];
  if (state === 'empty') {
    const stats = await lstat(destination);
    previous = { uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777 };
  } else {
    await mkdir(dirname(destination), { recursive: true });
    await mkdir(destination, { mode: 0o700 });
  }
  await chown(destination, uid, gid);
  await chmod(destination, 0o700);
  const identity = await directoryIdentity(destination);
  if (!identity) throw new Error(`${destination} vanished while the restore took it`);
  await writeRecord(options.control.claimFile, formatClaim({ ...options.run, destination, ...identity, created: state !== 'empty', previous, movedAside }));
  return movedAside?.path ?? null;
}

/** The pid in `<dir>/postmaster.pid` when that process is alive, else null (no file, unreadable, or a stale pid). */
async function livePostmaster(dir: string): Promise<number | null> {
  const text = await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(text?.split('\n')[0]?.trim());
  return Number.isSafeInteger(pid) && pid > 0 && processAlive(pid) ? pid : null;
}

/** `path` with every symbolic link of its existing part resolved (the part not yet created is appended as given). */
async function realDestination(path: string): Promise<string> {
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      const real = await realpath(existing);
      return missing.length === 0 ? real : join(real, ...missing.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === '/') throw err;
      missing.push(basename(existing));
      existing = dirname(existing);
    }
  }
}
