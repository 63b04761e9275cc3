// What an advance of a held restore changes in the destination: the WAL replay needs to reach the new target, in
// `<dest>/barman_wal` where the restore_command `barman recover` wrote reads it (`cp barman_wal/%f %p`,
// docs/barman-pitr-facts.md), and the recovery target in postgresql.auto.conf. The destination belongs to the
// Barman user, who could swap barman_wal for a link: so root prepares each file in the work area and the Barman
// user moves it in, with an argument array (io/run-command), never root writing by path inside that tree.
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaysFromBarmanWal, retargetRecoveryConfig } from '../core/held-restore';
import type { RecoveryTarget } from '../core/recovery-target';
import { isHistoryFileName } from '../core/wal-names';
import { FailureTypes, RestoreError } from '../shared';
import { decompressFile } from './decompress';
import { fileCompression } from './file-compression';
import { readTextNoFollow } from './read-no-follow';
import { runPool } from './run-pool';
import { runCommand } from './run-command';
import { handOverTree, removeTree } from './tree-operations';

/** The folder of the destination replay restores WAL from (Barman's name). */
export const REPLAY_WAL_FOLDER = 'barman_wal';

export interface ReplayFile {
  name: string;
  /** The downloaded file in the work area (compressed as archived, or plain). */
  localPath: string;
}

export interface HeldDestination {
  destination: string;
  /** The Barman user: owns the destination, runs PostgreSQL. */
  user: string;
  /** The restore's work area, root's (reclaimed) while this runs; handed back to the user before the user copies. */
  workRoot: string;
  /** A folder of the work area for the files being prepared; removed at the end. */
  scratch: string;
}

/** Moves at most this many files per mv: the argument list stays far below the kernel's limit. */
const FILES_PER_MOVE = 256;
const DECOMPRESS_CONCURRENCY = 2;

/**
 * Prepares the WAL of `files` that `<dest>/barman_wal` lacks, decompressed, and postgresql.auto.conf with its
 * target moved to `target`. Nothing in the destination changes yet: `putInPlace` copies them in.
 */
export async function prepareAdvance(held: HeldDestination, files: ReplayFile[], target: RecoveryTarget, segmentSize: number, signal?: AbortSignal): Promise<{ walFiles: string[]; config: string }> {
  const config = await readTextNoFollow(join(held.destination, 'postgresql.auto.conf'));
  if (!replaysFromBarmanWal(config, held.destination)) {
    throw new RestoreError(
      FailureTypes.RecoveryFailed,
      `${held.destination}/postgresql.auto.conf has no restore_command copying from ${held.destination}/${REPLAY_WAL_FOLDER}, which barman recover wrote there: something changed the held restore's configuration; finish it (pitr finish --stop) and restore the new target into another destination`,
    );
  }
  const missing: ReplayFile[] = [];
  for (const file of files) if (!(await inPlace(join(held.destination, REPLAY_WAL_FOLDER, file.name), file.name, segmentSize))) missing.push(file);
  await removeTree(held.scratch, signal);
  await mkdir(join(held.scratch, 'wal'), { recursive: true, mode: 0o700 });
  await runPool(missing, DECOMPRESS_CONCURRENCY, signal, async (file) => {
    await decompressFile(file.localPath, join(held.scratch, 'wal', file.name), await fileCompression(file.localPath), signal);
  });
  const configFile = join(held.scratch, 'postgresql.auto.conf');
  await writeFile(configFile, retargetRecoveryConfig(config, target), { mode: 0o600 });
  await handOverTree(held.workRoot, held.user, signal);
  return { walFiles: missing.map((f) => join(held.scratch, 'wal', f.name)), config: configFile };
}

/**
 * Whether a WAL file is already in barman_wal, whole: a segment of an interrupted earlier attempt may be cut short
 * (a move across filesystems copies), so a segment counts only at its full size. Read without following a link.
 */
async function inPlace(path: string, name: string, segmentSize: number): Promise<boolean> {
  const found = await lstat(path).catch(() => undefined);
  return found !== undefined && found.isFile() && (isHistoryFileName(name) || found.size === segmentSize);
}

/**
 * As the Barman user: the prepared WAL moved into `<dest>/barman_wal` (created when absent): a rename when the work
 * area is on the destination's filesystem, so gigabytes of decompressed WAL are not written twice. Harmless while
 * PostgreSQL runs paused.
 */
export async function putWalInPlace(held: HeldDestination, walFiles: string[], signal?: AbortSignal): Promise<void> {
  const folder = join(held.destination, REPLAY_WAL_FOLDER);
  await runCommand('mkdir', ['-p', '--', folder], { asUser: held.user, signal });
  for (let i = 0; i < walFiles.length; i += FILES_PER_MOVE) {
    await runCommand('mv', ['-f', '--', ...walFiles.slice(i, i + FILES_PER_MOVE), `${folder}/`], { asUser: held.user, signal });
  }
}

/** As the Barman user: the prepared postgresql.auto.conf replaces the destination's, by a rename (never half-written). Only while PostgreSQL is stopped. */
export async function putConfigInPlace(held: HeldDestination, config: string, signal?: AbortSignal): Promise<void> {
  const file = join(held.destination, 'postgresql.auto.conf');
  await runCommand('cp', ['--', config, `${file}.pitr-new`], { asUser: held.user, signal });
  await runCommand('mv', ['-f', '-T', '--', `${file}.pitr-new`, file], { asUser: held.user, signal });
}
