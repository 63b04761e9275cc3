// Barman, driven through its CLI with a private configuration file (`barman -c FILE`), and judged by
// its output, not its exit code: rebuild-xlogdb exits 0 having registered nothing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { barmanCapabilities, formatBarmanVersion, parseBarmanVersion, type BarmanCapabilities } from '../core/barman-version';
import { withInProcessGunzip } from '../core/xlogdb';
import { FailureTypes, RestoreError } from '../shared';
import { lastLines, resolveTool, runCommand } from './run-command';

const detected = new Map<string, Promise<BarmanCapabilities>>();

/**
 * The version of the Barman at `barmanBin` (a path, or a name looked up on PATH) and what it accepts,
 * asked once per worker process: `barman --version`.
 */
export function detectBarman(barmanBin: string): Promise<BarmanCapabilities> {
  let found = detected.get(barmanBin);
  if (!found) {
    found = (async () => {
      const result = await runCommand(barmanBin, ['--version'], { allowFailure: true });
      if (result.exitCode !== 0) {
        throw new RestoreError(FailureTypes.ToolMissing, `${barmanBin} --version failed (exit ${result.exitCode}): ${lastLines(`${result.stdout}\n${result.stderr}`, 4)}; fix the Barman install or PITR_BARMAN_BIN`);
      }
      return barmanCapabilities(parseBarmanVersion(`${result.stdout}\n${result.stderr}`.trim()));
    })();
    // A failed probe is asked again next time (the tool may be installed meanwhile).
    found.catch(() => detected.delete(barmanBin));
    detected.set(barmanBin, found);
  }
  return found;
}

/** Tools this Barman runs on its own, checked before a restore starts rather than when Barman needs them. */
export function assertBarmanTools(capabilities: BarmanCapabilities): void {
  for (const tool of ['rsync', ...(capabilities.needsFileCommand ? ['file'] : [])]) resolveTool(tool);
}

export interface BarmanSetup {
  /** The barman executable (PITR_BARMAN_BIN). */
  barmanBin: string;
  capabilities: BarmanCapabilities;
  configFile: string;
  barmanHome: string;
  logFile: string;
  /** The user barman drops to; it owns the Barman home and the restored data directory. */
  barmanUser: string;
  server: string;
}

export async function writeBarmanConfig(setup: BarmanSetup): Promise<void> {
  // conninfo and backup_method are required for the server to be enabled, though a restore never
  // connects anywhere (port 1 is never dialled).
  const text = [
    '; written by pitr for one restore; not a production Barman configuration',
    '[barman]',
    `barman_home = ${setup.barmanHome}`,
    `barman_user = ${setup.barmanUser}`,
    `log_file = ${setup.logFile}`,
    'log_level = INFO',
    '',
    `[${setup.server}]`,
    'description = "point-in-time restore staged by pitr"',
    'conninfo = host=127.0.0.1 port=1 dbname=postgres',
    'backup_method = postgres',
    'archiver = on',
    // From 3.13 the WAL catalogue's place is a setting; naming it keeps it where this project reads it.
    ...(setup.capabilities.hasXlogdbDirectorySetting ? [`xlogdb_directory = ${walsDirectory(setup)}`] : []),
    '',
  ].join('\n');
  await writeFile(setup.configFile, text, { mode: 0o644 });
}

function walsDirectory(setup: Pick<BarmanSetup, 'barmanHome' | 'server'>): string {
  return join(setup.barmanHome, setup.server, 'wals');
}

/** Where this Barman keeps the server's WAL catalogue. */
export function xlogdbPath(setup: Pick<BarmanSetup, 'barmanHome' | 'server' | 'capabilities'>): string {
  return join(walsDirectory(setup), setup.capabilities.xlogdbFileName(setup.server));
}

export interface XlogdbCounts {
  history: number;
  backupLabels: number;
  walFiles: number;
}

export function parseRebuildXlogdbOutput(output: string): XlogdbCounts | null {
  const match = /Done rebuilding xlogdb for server \S+ \(history: (\d+), backup_labels: (\d+), wal_file: (\d+)\)/.exec(output);
  if (!match) return null;
  return { history: Number(match[1]), backupLabels: Number(match[2]), walFiles: Number(match[3]) };
}

export async function rebuildXlogdb(setup: BarmanSetup, expectedWalFiles: number, signal?: AbortSignal): Promise<XlogdbCounts> {
  assertBarmanTools(setup.capabilities);
  const result = await runCommand(setup.barmanBin, ['-c', setup.configFile, 'rebuild-xlogdb', setup.server], { signal, allowFailure: true });
  const output = `${result.stdout}\n${result.stderr}`;
  const counts = parseRebuildXlogdbOutput(output);
  if (result.exitCode !== 0 || !counts) {
    throw new RestoreError(FailureTypes.BarmanFailed, `barman ${formatBarmanVersion(setup.capabilities.version)} rebuild-xlogdb failed (exit ${result.exitCode}): ${lastLines(output, 6)}`);
  }
  if (counts.walFiles < expectedWalFiles) {
    throw new RestoreError(
      FailureTypes.BarmanFailed,
      `barman rebuild-xlogdb registered ${counts.walFiles} WAL files but ${expectedWalFiles} were staged in ${setup.barmanHome}/${setup.server}/wals; see ${setup.logFile} for files it ignored`,
    );
  }
  const catalogue = xlogdbPath(setup);
  const text = await readFile(catalogue, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new RestoreError(
      FailureTypes.BarmanFailed,
      `barman ${formatBarmanVersion(setup.capabilities.version)} rebuild-xlogdb reported ${counts.walFiles} WAL files, but its catalogue ${catalogue} cannot be read (${err.code ?? err.message}); see ${setup.logFile}`,
    );
  });
  if (setup.capabilities.gzipIsExternalProcess) await useInProcessGunzip(setup, catalogue, text, signal);
  return counts;
}

/**
 * Has `barman recover` decompress gzip WAL in its own process instead of one gzip process per segment
 * (see core/xlogdb). The catalogue is the Barman user's, in a folder that user owns: the user rewrites it
 * (written beside it, then renamed over it), so root never writes through a path that user controls.
 */
async function useInProcessGunzip(setup: BarmanSetup, file: string, catalogue: string, signal?: AbortSignal): Promise<void> {
  const { text, changed } = withInProcessGunzip(catalogue);
  if (changed === 0) return;
  const tmp = `${file}.pitr-tmp`;
  await runCommand('tee', [tmp], { asUser: setup.barmanUser, input: text, signal });
  await runCommand('mv', ['-f', '-T', '--', tmp, file], { asUser: setup.barmanUser, signal });
}

export interface RecoverRequest {
  backupId: string;
  destination: string;
  /** barman's target options, e.g. ['--target-time', '2026-11-24 21:55:42.916985+00:00'] (always with an explicit offset). */
  targetArgs: string[];
  targetTimeline: number;
  targetAction?: 'pause' | 'promote' | 'shutdown';
  /**
   * `--tablespace NAME:DIR` for every tablespace of the backup (core/tablespace-locations): without a rule Barman
   * writes a tablespace to the folder backup.info records, on this host.
   */
  tablespaceArgs?: string[];
}

export async function recover(setup: BarmanSetup, request: RecoverRequest, signal?: AbortSignal): Promise<string> {
  const args = [
    '-c', setup.configFile,
    'recover',
    ...request.targetArgs,
    '--target-tli', String(request.targetTimeline),
    ...(request.targetAction ? ['--target-action', request.targetAction] : []),
    ...(request.tablespaceArgs ?? []),
    setup.server, request.backupId, request.destination,
  ];
  const result = await runCommand(setup.barmanBin, args, { signal, allowFailure: true });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.exitCode !== 0 || !/successfully prepared for recovery/.test(output)) {
    throw new RestoreError(FailureTypes.BarmanFailed, `barman ${formatBarmanVersion(setup.capabilities.version)} recover failed (exit ${result.exitCode}): ${lastLines(output, 8)}`);
  }
  return result.stdout;
}
