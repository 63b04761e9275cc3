import { mkdir, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { backupInfoForBarman } from '../core/backup-info-for-barman';
import { barmanReadsEverywhere } from '../core/compression-magic';
import { rebuildXlogdb, writeBarmanConfig, type BarmanSetup } from '../io/barman';
import { decompressFile } from '../io/decompress';
import { stopLeftoverCommands } from '../io/leftover-commands';
import { fileCompression } from '../io/file-compression';
import { runPool } from '../io/run-pool';
import { handOverTree } from '../io/tree-operations';
import { archivedWalPath, backupDir, reclaimWorkArea, workDirLayout, type WorkDirLayout } from '../io/work-dir';
import { openJournal, type DownloadJournal } from '../io/download-journal';
import { nullIfAbsent, pathExists } from '../io/path-exists';
import type { WalCompression } from '../core/s3-layout';
import type { RestoreInput, RestorePlan } from '../shared';
import { downloadedBackupInfoPath } from './base-backup-targets';
import { fencedStep } from './attempt-fence';
import { barmanSetup, type ActivityDeps } from './deps';

/**
 * Barman picks WAL for a time target by the files' mtimes, and archive lag makes LastModified cut
 * too early (docs/barman-pitr-facts.md §3 step 4). An old fixed mtime makes barman copy every staged segment,
 * so the plan alone decides what is replayed.
 */
export const NEUTRAL_WAL_MTIME_SECONDS = 86_400;

/** Stages the Barman home and has barman register its WAL: one step, both quick and both redone on retry. */
export function stageAndRebuildXlogdbActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ walFiles: number }> =>
    fencedStep(deps, input, 'Stage', async (progress) => {
      const layout = workDirLayout(plan.workDir);
      // A worker killed during an earlier attempt left its barman rebuild-xlogdb running: it would write beside this one.
      await stopLeftoverCommands(layout.barmanConfig);
      await stageInBarmanHome(deps, input, layout, plan.backupId, progress.signal);
      // Checked: barman must register every planned segment.
      const { walFiles } = await rebuildXlogdb(await barmanSetup(deps, layout, input.server), plan.walSegments, progress.signal);
      return { walFiles };
    });
}

/**
 * The Barman home made ready for the local Barman: a backup.info that its version loads, WAL in a form it
 * reads with old fixed mtimes, its configuration, and ownership by the Barman user. Every part is
 * redone the same way on a retry.
 */
async function stageInBarmanHome(deps: ActivityDeps, input: RestoreInput, layout: WorkDirLayout, backupId: string, signal?: AbortSignal): Promise<void> {
  // A retry finds the area already handed over: root writes below only once it is root's again.
  await reclaimWorkArea(layout, signal);
  const setup = await barmanSetup(deps, layout, input.server);
  await writeBackupInfoFor(setup, layout, backupId);
  await prepareWal(layout, join(layout.barmanHome, input.server, 'wals'), signal);
  await writeBarmanConfig(setup);
  await handOverTree(layout.root, deps.barmanUser, signal);
}

async function writeBackupInfoFor(setup: BarmanSetup, layout: WorkDirLayout, backupId: string): Promise<void> {
  const original = await readFile(downloadedBackupInfoPath(layout, backupId), 'utf8');
  const target = join(backupDir(layout, setup.server, backupId), 'backup.info');
  await writeFile(`${target}.pitr-tmp`, backupInfoForBarman(original, setup.capabilities).text);
  await rename(`${target}.pitr-tmp`, target);
}

const PLAIN_SUFFIX = '.pitr-plain';

/** Decompressions run side by side: each is one external process, mostly waiting on the others' CPU. */
const DECOMPRESS_CONCURRENCY = Math.max(2, availableParallelism());

/**
 * Every staged WAL file in a form this Barman reads, with the neutral mtime. One Barman cannot read is moved, as
 * downloaded, to its archivedWalPath (its journal told so) and decompressed back to its name.
 */
async function prepareWal(layout: WorkDirLayout, dir: string, signal?: AbortSignal): Promise<void> {
  const journal = await openJournal(layout.journal);
  try {
    // An attempt cut off between moving a file aside and decompressing it left nothing at its name.
    const archivedDir = archivedWalPath(layout.root, dir);
    for (const archived of await walFiles(archivedDir)) {
      const path = join(dir, relative(archivedDir, archived));
      if (!(await pathExists(path))) await decompressTo(archived, path, await fileCompression(archived), signal);
    }
    await runPool(await walFiles(dir), DECOMPRESS_CONCURRENCY, signal, async (path) => {
      const compression = await fileCompression(path);
      if (!barmanReadsEverywhere(compression)) await keepArchivedAndDecompress(layout.root, journal, path, compression, signal);
      await utimes(path, NEUTRAL_WAL_MTIME_SECONDS, NEUTRAL_WAL_MTIME_SECONDS);
    });
  } finally {
    await journal.close();
  }
}

/** Moves `path` (an xz, zstd, lz4 or snappy file) to its archivedWalPath, journalled there, and puts its plain content at `path`. */
async function keepArchivedAndDecompress(root: string, journal: DownloadJournal, path: string, compression: WalCompression, signal?: AbortSignal): Promise<void> {
  const record = journal.recordAt(path);
  const archived = archivedWalPath(root, path);
  await mkdir(dirname(archived), { recursive: true });
  await rename(path, archived);
  if (record) await journal.markComplete({ key: record.key, etag: record.etag, size: record.size, localPath: archived });
  await decompressTo(archived, path, compression, signal);
}

async function decompressTo(source: string, path: string, compression: WalCompression, signal?: AbortSignal): Promise<void> {
  const plain = `${path}${PLAIN_SUFFIX}`;
  try {
    await decompressFile(source, plain, compression, signal);
    await rename(plain, path);
  } finally {
    await rm(plain, { force: true });
  }
}

async function walFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await nullIfAbsent(readdir(dir, { withFileTypes: true }))) ?? []) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walFiles(path)));
    // A half-written decompression of an interrupted attempt (this restore's own) is redone.
    else if (entry.name.endsWith(PLAIN_SUFFIX)) await rm(path, { force: true });
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

