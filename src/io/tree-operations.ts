// Whole-tree operations the worker runs as root on trees another user (the Barman user, PostgreSQL)
// has written into: that user can plant a symbolic link, or swap a directory for one, between our
// check of a path and our use of it. So none of these walk by path in Node. They run GNU coreutils and
// findutils, whose traversal (gnulib fts with FTS_PHYSICAL and FTS_CWDFD) never follows a symbolic link
// and acts through descriptor-relative calls (unlinkat, fchownat with AT_SYMLINK_NOFOLLOW): see
// coreutils src/remove.c and src/chown-core.c (https://github.com/coreutils/coreutils), findutils'
// ftsfind.c. `--one-file-system`/`-xdev` keep them off a filesystem mounted inside the tree.
import { lchown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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

/** What takeBackTree does with an entry, by its path below the root (its names) and whether it is a directory. */
export type TakeBackChoice = 'whole' | 'descend' | 'leave';

/**
 * Takes `root` back from the user it was handed to, before root writes inside it again (a resumed or
 * retried step): once root owns every directory, no other user can plant anything there. `choose` may
 * leave some directories to that user (root never writes inside them again); the walk to them goes top
 * down, each directory made root's before its entries are read, so what is read can no longer change.
 */
export async function takeBackTree(root: string, signal?: AbortSignal, choose: (names: string[], isDirectory: boolean) => TakeBackChoice = () => 'whole'): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const walk = async (dir: string, names: string[]): Promise<void> => {
    await lchown(dir, uid, gid);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      signal?.throwIfAborted();
      const path = join(dir, entry.name);
      const choice = choose([...names, entry.name], entry.isDirectory());
      if (choice === 'descend') await walk(path, [...names, entry.name]);
      else if (choice === 'whole' && entry.isDirectory()) await runCommand('chown', ['-R', '-P', '--', `${uid}:${gid}`, path], { signal });
      else if (choice === 'whole') await lchown(path, uid, gid);
    }
  };
  if (choose([], true) === 'whole') await runCommand('chown', ['-R', '-P', '--', `${uid}:${gid}`, root], { signal });
  else await walk(root, []);
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
