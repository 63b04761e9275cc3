// The read-only questions a client asks a Barman host's worker through Temporal (`pitr plan`, `pitr backups`):
// their inputs, workflow names and ids, and the check of an input a script sent. They run on the worker because it
// holds what answering needs (S3 credentials, pg_waldump of the backup's PostgreSQL version, the disk a restore
// would fill); the client needs only Temporal.
// Pure: no I/O, no Node builtins (the workflow bundle imports it).
import { FailureTypes, RestoreError, type RestoreInput } from '../shared';
import { assertValidServerName } from './s3-layout';
import type { TablespaceChoice } from './tablespace-locations';
import { isUtcMicros, type UtcMicros } from './timestamp';

export const PREVIEW_RESTORE_WORKFLOW = 'previewRestore';
export const DESCRIBE_ARCHIVE_WORKFLOW = 'describeArchive';

/** Where a server's backups are: the barman-cloud server folder in a bucket. */
export interface ArchiveQueryInput {
  server: string;
  bucket: string;
  /** Key prefix before the server folder; '' when the server folder is at the bucket root. */
  prefix: string;
  /** The Barman host's worker queue: the workflow and its one activity run there. */
  taskQueue: string;
}

/** `pitr plan`: a restore's decisions and checks, nothing copied. */
export interface PreviewRestoreInput extends ArchiveQueryInput, Pick<RestoreInput, 'backupId' | 'targetTimeline'> {
  targetTime: UtcMicros;
  /**
   * Absolute, normalised path of the data directory a restore would create, on the worker's host. Without it the
   * preview leaves out the disk space and destination checks (nothing to measure).
   */
  destination?: string;
  /** --tablespace NAME=DIR choices (only with a destination: the others go beside it). */
  tablespaces?: TablespaceChoice[];
}

/**
 * Workflow ids of the queries: recognisable in the UI and `temporal workflow list`, random (a query may run any
 * number of times at once), and never the `pitr:` prefix of restores (restoreWorkflowId).
 */
export function previewRestoreWorkflowId(server: string, unique: string): string {
  return `pitr-plan:${server}:${unique}`;
}

export function describeArchiveWorkflowId(server: string, unique: string): string {
  return `pitr-backups:${server}:${unique}`;
}

/**
 * Activity timeouts of the queries: a person or a script waits for the answer. Reading WAL with pg_waldump can take
 * minutes on a large archive; heartbeats come every few seconds, so a worker that died is noticed within a minute.
 */
export const QUERY_TIMINGS = {
  startToCloseMs: 15 * 60_000,
  heartbeatTimeoutMs: 60_000,
  retryInitialMs: 2_000,
  retryMaximumMs: 30_000,
  /** Transient failures (S3 unavailable, a worker restart) are retried this often before the query fails with the last one. */
  maximumAttempts: 5,
  /** The whole query, queueing for a worker included: none lingers when no worker polls the queue. */
  executionTimeoutMs: 30 * 60_000,
} as const;

function refuse(problem: string): never {
  throw new RestoreError(FailureTypes.InvalidInput, problem);
}

/** The checks every query input gets on the worker (a script may send anything): the first problem, as InvalidInput. */
export function validateArchiveQueryInput(input: ArchiveQueryInput): void {
  if (typeof input !== 'object' || input === null) refuse('the query input is not an object; expected {server, bucket, prefix, taskQueue, ...}');
  for (const field of ['server', 'bucket', 'taskQueue'] as const) {
    if (typeof input[field] !== 'string' || input[field] === '') refuse(`${field} is ${JSON.stringify(input[field])}; expected a non-empty string`);
  }
  if (typeof input.prefix !== 'string') refuse(`prefix is ${JSON.stringify(input.prefix)}; expected a string ('' for the bucket root)`);
  // An InvalidInput RestoreError naming what barman-cloud accepts.
  assertValidServerName(input.server);
}

export function validatePreviewRestoreInput(input: PreviewRestoreInput): void {
  validateArchiveQueryInput(input);
  if (typeof input.targetTime !== 'string' || !isUtcMicros(input.targetTime)) {
    refuse(`targetTime is ${JSON.stringify(input.targetTime)}; expected a UTC time with microseconds (core/timestamp UtcMicros)`);
  }
  if (input.destination !== undefined && (typeof input.destination !== 'string' || !input.destination.startsWith('/'))) {
    refuse(`destination is ${JSON.stringify(input.destination)}; expected an absolute path on the worker's host, or none`);
  }
  if (input.tablespaces?.length && input.destination === undefined) refuse('tablespaces were chosen without a destination: they are checked against one');
}
