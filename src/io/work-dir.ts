// The per-restore working area on the worker host. Everything a restore downloads, extracts or
// hands to barman lives here, so concurrent restores never share state and a resumed restore
// finds its own completed work.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pathExists } from './path-exists';
import { removePlantedEntries, takeBackTree, type TakeBackChoice } from './tree-operations';

export interface WorkDirLayout {
  root: string;
  /** barman_home of the private Barman configuration. */
  barmanHome: string;
  barmanConfig: string;
  barmanLog: string;
  /** Journal of completed downloads (the truth on resume; heartbeats are only hints). */
  journal: string;
  /** Base backup tarballs as downloaded. */
  downloads: string;
  /** Scratch space for decompressed WAL read by pg_waldump. */
  scratch: string;
  verifyLog: string;
  /** What each published base backup directory was extracted from and its shape (src/core/extracted-tree.ts). */
  extractions: string;
}

/** Stable folder name for a restore into `destination` (same destination, same folder: resumable). */
export function workDirName(server: string, destination: string): string {
  const digest = createHash('sha256').update(`${server}\0${destination}`).digest('hex').slice(0, 16);
  return `${server}-${digest}`;
}

export function workDirLayout(root: string): WorkDirLayout {
  return {
    root,
    barmanHome: join(root, 'home'),
    barmanConfig: join(root, 'barman.conf'),
    barmanLog: join(root, 'barman.log'),
    journal: join(root, 'downloads.journal'),
    downloads: join(root, 'downloads'),
    scratch: join(root, 'scratch'),
    verifyLog: join(root, 'verify-postgres.log'),
    extractions: join(root, 'extracted'),
  };
}

/**
 * Where the stage step keeps a WAL file as archived when it decompresses it for Barman (`<root>/wal-archived/`, then
 * the file's path below the area's root): the downloaded file, with the inode its journal records, so that another
 * restore of the server on this host can still copy it (src/io/local-copies.ts). Barman reads the plain copy.
 */
export function archivedWalPath(root: string, walPath: string): string {
  return join(root, 'wal-archived', relative(root, walPath));
}

/** Barman's local layout: `<home>/<server>/base/<id>/{backup.info,data}`. */
export function backupDir(layout: WorkDirLayout, server: string, backupId: string): string {
  return join(layout.barmanHome, server, 'base', backupId);
}

/**
 * Creates a restore's work area, private (0700): it holds the downloaded tarballs and WAL, readable data of
 * every restored database. Its parents keep the usual 0755, so the Barman user, to whom the area is handed,
 * can reach it. Returns the first folder created, as mkdir does, or undefined when it existed.
 */
export async function makeWorkArea(layout: WorkDirLayout): Promise<string | undefined> {
  await mkdir(dirname(layout.root), { recursive: true });
  return mkdir(layout.root, { recursive: true, mode: 0o700 });
}

/** The suffix of a base backup directory while root extracts it, before it is published under its own name. */
export const EXTRACTING_SUFFIX = '.extracting';

/**
 * Before root writes in a work area again (a retried step, a resumed restore): takes back what the stage step
 * handed to the Barman user, then removes what that user could have planted meanwhile for root to write
 * through (a link at the journal, the configuration, a temporary file's name, or in place of a folder).
 * Root makes no link anywhere in the area except inside the extracted backup (tablespace links in
 * `<home>/<server>/base/<id>/data/pg_tblspc`), which root never writes into again: so the published
 * directories of the backup (`base/<id>/data`, `base/<id>/<oid>`, and those being linked from another
 * restore) are left to the Barman user. Their files may be hard links shared with another restore's area
 * (src/io/extracted-trees.ts): taking them back would change that restore's files too.
 */
export async function reclaimWorkArea(layout: WorkDirLayout, signal?: AbortSignal): Promise<void> {
  if (!(await pathExists(layout.root))) return;
  await takeBackTree(layout.root, signal, publishedExtractionsLeft);
  await removePlantedEntries(layout.root, [join(layout.barmanHome, '*', 'base', '*', '*', '*')], signal);
}

/** takeBackTree's choice in a work area: down `home/<server>/base/<id>/` to leave the directories published there. */
function publishedExtractionsLeft(names: string[], isDirectory: boolean): TakeBackChoice {
  const [home, , base, , name] = names;
  if (names.length === 0) return 'descend';
  if (home !== 'home' || !isDirectory || (names.length >= 3 && base !== 'base')) return 'whole';
  if (names.length < 5) return 'descend';
  return names.length === 5 && !name!.endsWith(EXTRACTING_SUFFIX) ? 'leave' : 'whole';
}
