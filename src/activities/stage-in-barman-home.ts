import { readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { backupInfoForBarman } from '../core/backup-info-for-barman';
import { barmanReadsEverywhere } from '../core/compression-magic';
import { writeBarmanConfig, type BarmanSetup } from '../io/barman';
import { decompressFile } from '../io/decompress';
import { fileCompression } from '../io/file-compression';
import { runPool } from '../io/run-pool';
import { handOverTree } from '../io/tree-operations';
import { backupDir, reclaimWorkArea, workDirLayout, type WorkDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan } from '../shared';
import { downloadedBackupInfoPath } from './base-backup-targets';
import { barmanSetup, type ActivityDeps } from './deps';

/**
 * Barman picks WAL for a time target by the files' mtimes, and archive lag makes LastModified cut
 * too early (docs/barman-pitr-facts.md §3 step 4). An old fixed mtime makes barman copy every staged segment,
 * so the plan alone decides what is replayed.
 */
export const NEUTRAL_WAL_MTIME_SECONDS = 86_400;

/**
 * The Barman home made ready for the local Barman: a backup.info that its version loads, WAL in a form it
 * reads with old fixed mtimes, its configuration, and ownership by the Barman user. Every part is
 * redone the same way on a retry.
 */
export async function stageInBarmanHome(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan, signal?: AbortSignal): Promise<{ walFiles: number }> {
  const layout = workDirLayout(plan.workDir);
  // A retry finds the area already handed over: root writes below only once it is root's again.
  await reclaimWorkArea(layout, signal);
  const setup = await barmanSetup(deps, layout, input.server);
  await writeBackupInfoFor(setup, layout, plan.backupId);
  const walFiles = await prepareWal(join(layout.barmanHome, input.server, 'wals'), signal);
  await writeBarmanConfig(setup);
  await handOverTree(layout.root, deps.barmanUser, signal);
  return { walFiles };
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

/** Every staged WAL file in a form this Barman reads, with the neutral mtime; returns how many there are. */
async function prepareWal(dir: string, signal?: AbortSignal): Promise<number> {
  const files = await walFiles(dir);
  await runPool(files, DECOMPRESS_CONCURRENCY, signal, async (path) => {
    await decompressUnlessBarmanReads(path, signal);
    await utimes(path, NEUTRAL_WAL_MTIME_SECONDS, NEUTRAL_WAL_MTIME_SECONDS);
  });
  return files.length;
}

async function walFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walFiles(path)));
    // A half-written decompression of an interrupted attempt (this restore's own) is redone.
    else if (entry.name.endsWith(PLAIN_SUFFIX)) await rm(path, { force: true });
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Replaces an xz, zstd, lz4 or snappy file by its plain content (gzip and bzip2 are left to Barman). */
async function decompressUnlessBarmanReads(path: string, signal?: AbortSignal): Promise<void> {
  const compression = await fileCompression(path);
  if (barmanReadsEverywhere(compression)) return;
  const plain = `${path}${PLAIN_SUFFIX}`;
  try {
    await decompressFile(path, plain, compression, signal);
    await rename(plain, path);
  } finally {
    await rm(plain, { force: true });
  }
}

