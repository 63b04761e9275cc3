// The worker's own records about a destination: which restore holds it (the lock), what its current run
// created there (the claim), and what a cancel is removing (the trash record). They live under the work
// root in a folder only root can write, never inside the Barman home, whose files the Barman user owns
// and could forge or replace with links. Each is written atomically and durably: a crash leaves the old
// record or the new one, never a torn one.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseClaim, type DirectoryIdentity } from '../core/destination-claim';
import { FailureTypes, RestoreError } from '../shared';
import { nullIfAbsent } from './path-exists';

export interface DestinationControl {
  dir: string;
  /** Names the restore id that owns the destination, whatever its server. */
  lockFile: string;
  claimFile: string;
  trashFile: string;
  /** The lease of the attempt that may write for this restore (io/attempt-fence). */
  attemptFile: string;
  /** Where the restore into this destination puts its tablespaces, each one a destination of its own (io/tablespace-destinations). */
  tablespacesFile: string;
}

/** One folder per destination path, so that two restores into one destination meet whatever their server names. */
export function destinationControl(workRoot: string, destination: string): DestinationControl {
  const dir = join(workRoot, 'destinations', createHash('sha256').update(destination).digest('hex').slice(0, 24));
  return { dir, lockFile: join(dir, 'lock'), claimFile: join(dir, 'claim'), trashFile: join(dir, 'trash'), attemptFile: join(dir, 'attempt'), tablespacesFile: join(dir, 'tablespaces') };
}

/** The identity of the directory at `path`, or null when nothing is there or it is not a directory (a link included). */
export async function directoryIdentity(path: string): Promise<DirectoryIdentity | null> {
  const stats = await nullIfAbsent(lstat(path, { bigint: true }));
  return stats?.isDirectory() ? { device: String(stats.dev), inode: String(stats.ino), born: String(stats.birthtimeNs) } : null;
}

export async function readRecord(file: string): Promise<string | null> {
  return nullIfAbsent(readFile(file, 'utf8'));
}

/** Replaces `file` with `text`: written beside it (O_EXCL: never through a planted link), synced, renamed, the folder synced. */
export async function writeRecord(file: string, text: string): Promise<void> {
  await makePrivateDirectory(dirname(file));
  // Unique, so that two writers (two attempts in one process) never share a temporary file.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, text, { flag: 'wx', mode: 0o600, flush: true });
  await rename(temporary, file);
  await syncDirectory(dirname(file));
}

/** Removes `file` durably (absent already is fine). */
export async function dropRecord(file: string): Promise<void> {
  await nullIfAbsent(unlink(file));
  await nullIfAbsent(syncDirectory(dirname(file)));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * One destination, one restore: the lock names the restore id holding it. The same id (a retry, a resume)
 * takes it again; another restore, whatever its server name, is refused until the holder ends.
 */
export async function lockDestination(control: DestinationControl, destination: string, restoreId: string): Promise<void> {
  const holder = (await readRecord(control.lockFile))?.trim();
  if (holder && holder !== restoreId) {
    throw new RestoreError(
      FailureTypes.InvalidDestination,
      `restore ${holder} already restores into ${destination}; one destination takes one restore at a time. Wait for it to end, or cancel it ` +
        `(pitr cancel '${holder}'); if it was terminated, remove ${control.lockFile}`,
    );
  }
  if (holder !== restoreId) await writeRecord(control.lockFile, `${restoreId}\n`);
}

/** Ends the restore's hold on the destination: its lock and any claim left (a finished run's claim authorises nothing). */
export async function releaseDestination(control: DestinationControl, restoreId: string): Promise<void> {
  const claim = await readRecord(control.claimFile);
  if (claim !== null && (parseClaim(claim)?.restoreId ?? restoreId) === restoreId) await dropRecord(control.claimFile);
  const holder = (await readRecord(control.lockFile))?.trim();
  if (holder === restoreId) await dropRecord(control.lockFile);
}

/**
 * `dir`, private (0700), with any missing parents made with the usual mode: mkdir's `mode` with `recursive`
 * would apply to every parent too, and the work root made 0700 here would shut the Barman user out of the
 * work areas beneath it.
 */
export async function makePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
