// Project settings from the environment (one table in the README). Connection settings for Temporal
// come from @temporalio/envconfig and for S3 from the AWS SDK's own chain; nothing here is secret.
import { DEFAULT_TASK_QUEUE } from './shared';

export interface ProjectSettings {
  taskQueue: string;
  bucket: string | undefined;
  prefix: string;
}

export interface WorkerSettings extends ProjectSettings {
  workRoot: string;
  barmanUser: string;
  pgBinDirPattern: string;
  downloadConcurrency: number;
  partSizeBytes: number;
  partConcurrency: number;
  maxConcurrentActivities: number;
  verifyTimeoutMs: number;
  shutdownGraceMs: number;
}

type Env = Record<string, string | undefined>;

export function loadProjectSettings(env: Env = process.env): ProjectSettings {
  return {
    taskQueue: env.PITR_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    bucket: env.PITR_BUCKET || undefined,
    prefix: env.PITR_PREFIX ?? '',
  };
}

export function loadWorkerSettings(env: Env = process.env): WorkerSettings {
  return {
    ...loadProjectSettings(env),
    workRoot: env.PITR_BARMAN_HOME || '/var/lib/pitr',
    barmanUser: env.PITR_BARMAN_USER || 'postgres',
    pgBinDirPattern: env.PITR_PG_BIN_DIR || '/usr/lib/postgresql/{major}/bin',
    downloadConcurrency: positiveInteger(env, 'PITR_DOWNLOAD_CONCURRENCY', 4),
    partSizeBytes: positiveInteger(env, 'PITR_PART_SIZE_MB', 16) * 1024 * 1024,
    partConcurrency: positiveInteger(env, 'PITR_PART_CONCURRENCY', 4),
    maxConcurrentActivities: positiveInteger(env, 'PITR_MAX_CONCURRENT_ACTIVITIES', 4),
    verifyTimeoutMs: positiveInteger(env, 'PITR_VERIFY_TIMEOUT_S', 3600) * 1000,
    shutdownGraceMs: positiveInteger(env, 'PITR_SHUTDOWN_GRACE_S', 30) * 1000,
  };
}

export function pgBinDir(pattern: string, major: number): string {
  return pattern.replace('{major}', String(major));
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
