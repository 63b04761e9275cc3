// Whole-tree operations the worker runs as root on trees another user (the Barman user, PostgreSQL)
// has written into: that user can plant a symbolic link, or swap a directory for one, between our
// check of a path and our use of it. So none of these walk by path in Node. They run GNU coreutils and
// findutils, whose traversal (gnulib fts with FTS_PHYSICAL and FTS_CWDFD) never follows a symbolic link
// and acts through descriptor-relative calls (unlinkat, fchownat with AT_SYMLINK_NOFOLLOW): see
// coreutils src/remove.c and src/chown-core.c (https://github.com/coreutils/coreutils), findutils'
// ftsfind.c. `--one-file-system`/`-xdev` keep them off a filesystem mounted inside the tree.
import { runCommand } from './run-command';
import { userIds } from './user-ids';

/** Removes `path` and everything under it (nothing when it is absent); a symbolic link is removed, never followed. */
export async function removeTree(path: string, signal?: AbortSignal): Promise<void> {
  await runCommand('rm', ['-rf', '--one-file-system', '--', path], { signal });
}

/** Removes everything inside the directory `path`, keeping the directory itself. */
export async function emptyDirectory(path: string, signal?: AbortSignal): Promise<void> {
  await runCommand('find', [path, '-xdev', '-mindepth', '1', '-delete'], { signal });
}

/** Gives `root` and everything under it to `owner` (chown -R -P: links themselves, never their targets). */
export async function handOverTree(root: string, owner: string, signal?: AbortSignal): Promise<void> {
  const { uid, gid } = await userIds(owner);
  await runCommand('chown', ['-R', '-P', '--', `${uid}:${gid}`, root], { signal });
}

/**
 * Takes `root` back from the user it was handed to, before root writes inside it again (a resumed or
 * retried step): once root owns every directory, no other user can plant anything there.
 */
export async function takeBackTree(root: string, signal?: AbortSignal): Promise<void> {
  await runCommand('chown', ['-R', '-P', '--', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`, root], { signal });
}

/**
 * Removes every symbolic link, FIFO and socket under `root` except below the paths matching `keepBelow`
 * (find -path patterns): after a tree was handed to another user, those are what that user could have
 * planted for root to write through or block on. Run after takeBackTree, when nobody else can add more.
 */
export async function removePlantedEntries(root: string, keepBelow: string[], signal?: AbortSignal): Promise<void> {
  const keep = keepBelow.flatMap((pattern) => ['!', '-path', pattern]);
  await runCommand('find', [root, '-xdev', '(', '-type', 'l', '-o', '-type', 'p', '-o', '-type', 's', ')', ...keep, '-delete'], { signal });
}
