// Project settings from the environment or a settings file (one table in the README). Connection
// settings for Temporal come from @temporalio/envconfig and for S3 from the AWS SDK's own chain.
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDestinationRoots } from './core/destination-policy';
import { parseServerQueues } from './core/server-queues';
import { DEFAULT_TASK_QUEUE, FailureTypes, RestoreError } from './shared';
import { DEFAULT_CONCURRENCY, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE } from './io/s3-download';

export interface ProjectSettings {
  taskQueue: string;
  /** PITR_SERVER_QUEUES: the task queue of the Barman host serving each server, ahead of taskQueue (src/core/server-queues.ts). */
  serverQueues: ReadonlyMap<string, string>;
  bucket: string | undefined;
  prefix: string;
}

export interface WorkerSettings extends ProjectSettings {
  workRoot: string;
  /** PITR_DESTINATION_ROOTS: folders destinations must lie inside; empty for anywhere but system directories. */
  destinationRoots: string[];
  barmanUser: string;
  /** The barman executable: a path, or a name looked up on PATH. */
  barmanBin: string;
  pgBinDirPattern: string;
  /** PITR_PG_BIN_DIR_<major> settings: one bin folder per PostgreSQL major, ahead of the pattern. */
  pgBinDirByMajor: Record<number, string>;
  downloadConcurrency: number;
  partSizeBytes: number;
  partConcurrency: number;
  maxConcurrentActivities: number;
  verifyTimeoutMs: number;
  shutdownGraceMs: number;
  /** host:port for Prometheus metrics, or undefined for none. */
  metricsAddress: string | undefined;
  logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logFormat: 'json' | 'text';
}

type Env = Record<string, string | undefined>;

/**
 * The environment, with the PITR_* settings of the file named by PITR_CONFIG (KEY=VALUE lines, `#`
 * comments) underneath it: a variable set in the environment wins over the file.
 */
export function settingsEnvironment(env: Env = process.env): Env {
  const file = env.PITR_CONFIG;
  if (!file) return env;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`PITR_CONFIG=${file} cannot be read: ${(err as Error).message}`);
  }
  const fromFile: Env = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?(PITR_[A-Z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`${file} line ${index + 1}: expected PITR_NAME=value, got "${line}"`);
    fromFile[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  });
  return { ...fromFile, ...env };
}

export function loadProjectSettings(env: Env = process.env): ProjectSettings {
  return {
    taskQueue: env.PITR_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    // Read by workers too, so that a settings file shared by the CLI and the workers is refused alike.
    serverQueues: parseServerQueues(env.PITR_SERVER_QUEUES),
    bucket: env.PITR_BUCKET || undefined,
    prefix: env.PITR_PREFIX ?? '',
  };
}

export function loadWorkerSettings(env: Env = process.env): WorkerSettings {
  return {
    ...loadProjectSettings(env),
    workRoot: env.PITR_BARMAN_HOME || '/var/lib/pitr',
    destinationRoots: parseDestinationRoots(env.PITR_DESTINATION_ROOTS),
    barmanUser: env.PITR_BARMAN_USER || 'postgres',
    barmanBin: env.PITR_BARMAN_BIN || 'barman',
    pgBinDirPattern: env.PITR_PG_BIN_DIR || '/usr/lib/postgresql/{major}/bin',
    pgBinDirByMajor: pgBinDirsByMajor(env),
    // Measured defaults (bench/transfer-sweep.md): WAL segments are small objects, so their GETs wait on
    // latency and 16 in parallel beat 4 by 2.2x at 25 ms; the base step is bound by the extraction, which
    // part size and parallel parts hardly change (2.0-2.6 s for every combination swept).
    downloadConcurrency: positiveInteger(env, 'PITR_DOWNLOAD_CONCURRENCY', DEFAULT_CONCURRENCY),
    partSizeBytes: positiveInteger(env, 'PITR_PART_SIZE_MB', DEFAULT_PART_SIZE / (1024 * 1024)) * 1024 * 1024,
    partConcurrency: positiveInteger(env, 'PITR_PART_CONCURRENCY', DEFAULT_PART_CONCURRENCY),
    maxConcurrentActivities: positiveInteger(env, 'PITR_MAX_CONCURRENT_ACTIVITIES', 4),
    verifyTimeoutMs: positiveInteger(env, 'PITR_VERIFY_TIMEOUT_S', 3600) * 1000,
    shutdownGraceMs: positiveInteger(env, 'PITR_SHUTDOWN_GRACE_S', 30) * 1000,
    metricsAddress: env.PITR_METRICS_ADDRESS || undefined,
    logLevel: oneOf(env, 'PITR_LOG_LEVEL', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const, 'INFO'),
    logFormat: oneOf(env, 'PITR_LOG_FORMAT', ['json', 'text'] as const, 'json'),
  };
}

/** The tools a restore runs from a PostgreSQL bin folder. */
const PG_TOOLS = ['pg_waldump', 'postgres', 'pg_ctl', 'psql'];

/**
 * PostgreSQL's bin folder for a backup's major version: PITR_PG_BIN_DIR_<major>, else the PITR_PG_BIN_DIR
 * pattern. A folder without the tools is a non-retryable ToolMissing failure naming the major and the setting.
 */
export function pgBinDir(settings: Pick<WorkerSettings, 'pgBinDirPattern' | 'pgBinDirByMajor'>, major: number): string {
  const own = settings.pgBinDirByMajor[major];
  const dir = own ?? settings.pgBinDirPattern.replace('{major}', String(major));
  const setting = own ? `PITR_PG_BIN_DIR_${major}=${own}` : `PITR_PG_BIN_DIR=${settings.pgBinDirPattern}`;
  const missing = PG_TOOLS.filter((tool) => !isExecutable(join(dir, tool)));
  if (missing.length > 0) {
    throw new RestoreError(
      FailureTypes.ToolMissing,
      `the backup needs PostgreSQL ${major}, but ${dir} (from ${setting}) lacks ${missing.join(', ')}. ` +
        `Install PostgreSQL ${major}'s server binaries on the worker host, or set PITR_PG_BIN_DIR_${major} to their bin folder, then resume the restore`,
    );
  }
  return dir;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pgBinDirsByMajor(env: Env): Record<number, string> {
  const dirs: Record<number, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^PITR_PG_BIN_DIR_(\d+)$/.exec(name);
    if (match && value) dirs[Number(match[1])] = value;
  }
  return dirs;
}

function oneOf<T extends string>(env: Env, name: string, accepted: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(accepted as readonly string[]).includes(raw)) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not one of ${accepted.join(', ')} (default ${fallback})`);
  }
  return raw as T;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a positive whole number (default ${fallback})`);
  }
  return value;
}
