// The data directory a restore creates. An existing, non-empty directory is never overwritten:
// without force the restore is refused; with force the old directory is moved aside, never deleted.
import { chown, lchown, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FailureTypes, RestoreError } from '../shared';
import { userIds } from './user-ids';

export type DestinationState = 'absent' | 'empty' | 'not-empty';

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Read-only checks, run before anything is copied. */
export async function inspectDestination(destination: string, options: { workRoot: string; force: boolean }): Promise<DestinationState> {
  if (!isAbsolute(destination) || resolve(destination) !== destination) {
    throw new RestoreError(FailureTypes.InvalidDestination, `destination "${destination}" must be an absolute, normalised path, e.g. /var/lib/postgresql/restored`);
  }
  if (destination === '/') throw new RestoreError(FailureTypes.InvalidDestination, 'destination "/" is not a data directory; name a new or empty directory');
  if (isInside(destination, options.workRoot) || isInside(options.workRoot, destination)) {
    throw new RestoreError(
      FailureTypes.InvalidDestination,
      `destination ${destination} overlaps the worker's Barman work area ${options.workRoot}; choose a directory outside it`,
    );
  }
  const stats = await lstat(destination).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
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

/**
 * Makes the destination an empty directory owned by `owner`, remembering in `claimFile` that the
 * restore created or emptied it, so a retried step may clear its own partial output and nothing else.
 * Returns where an existing directory was moved to, if one was.
 */
export async function claimDestination(destination: string, options: { claimFile: string; owner: string; force: boolean; workRoot: string; movedAsideSuffix: string }): Promise<string | null> {
  const claimed = await isClaimed(destination, options.claimFile);
  let movedAside: string | null = null;
  if (claimed) {
    // Our own partial output from an earlier attempt: clear it.
    await rm(destination, { recursive: true, force: true });
  } else {
    const state = await inspectDestination(destination, options);
    if (state === 'not-empty') {
      movedAside = `${destination}.${options.movedAsideSuffix}`;
      await rename(destination, movedAside);
    }
    await writeFile(options.claimFile, `${destination}\n`);
  }
  await mkdir(dirname(destination), { recursive: true });
  await mkdir(destination, { recursive: true, mode: 0o700 });
  const { uid, gid } = await userIds(options.owner);
  await chown(destination, uid, gid);
  return movedAside;
}

/** Whether this restore's earlier attempt created or emptied the destination (its content is ours). */
export async function isClaimed(destination: string, claimFile: string): Promise<boolean> {
  return (await readFile(claimFile, 'utf8').catch(() => '')).trim() === destination;
}

/** chown -R, without following links. */
export async function chownTree(root: string, owner: string): Promise<void> {
  const { uid, gid } = await userIds(owner);
  const walk = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    if (stats.uid !== uid || stats.gid !== gid) await (stats.isSymbolicLink() ? lchown : chown)(path, uid, gid);
    if (stats.isDirectory()) {
      for (const entry of await readdir(path)) await walk(`${path}/${entry}`);
    }
  };
  await walk(root);
}

/** The pid in `<dir>/postmaster.pid` when that process is alive, else null (no file, unreadable, or a stale pid). */
async function livePostmaster(dir: string): Promise<number | null> {
  const text = await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(text?.split('\n')[0]?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive, owned by another user
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}
