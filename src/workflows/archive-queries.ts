// The read-only queries a client asks the Barman host's worker (`pitr plan`, `pitr backups`): one activity each, on
// the queue named in the input (the host with the S3 credentials, pg_waldump and disk). Nothing is written but a
// throw-away work area the activity removes; the workflow id is random (core/archive-queries.ts), so any number of
// queries run at once and none conflicts with a restore.
import { ActivityCancellationType, ActivityFailure, ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ArchiveQueryActivities } from '../activities';
import { QUERY_TIMINGS, type ArchiveQueryInput, type PreviewRestoreInput } from '../core/archive-queries';
import { NON_RETRYABLE_FAILURE_TYPES } from '../shared';

type QueryActivities = ArchiveQueryActivities;
type Outcome<K extends keyof QueryActivities> = Awaited<ReturnType<QueryActivities[K]>>;

function queryActivities(input: ArchiveQueryInput) {
  return proxyActivities<QueryActivities>({
    taskQueue: input.taskQueue,
    startToCloseTimeout: QUERY_TIMINGS.startToCloseMs,
    heartbeatTimeout: QUERY_TIMINGS.heartbeatTimeoutMs,
    retry: {
      initialInterval: QUERY_TIMINGS.retryInitialMs,
      maximumInterval: QUERY_TIMINGS.retryMaximumMs,
      backoffCoefficient: 2,
      maximumAttempts: QUERY_TIMINGS.maximumAttempts,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
    },
    // Ctrl-C cancels the workflow: wait for the activity to stop and remove its scratch area.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

/** `pitr plan`: which backup and why, the WAL, bytes to fetch, reachability, and (with a destination) disk and destination checks. */
export async function previewRestore(input: PreviewRestoreInput): Promise<Outcome<'previewRestore'>> {
  setCurrentDetails(`**Plan** (dry run): restore ${input.server} to ${input.targetTime}${input.destination ? ` into ${input.destination}` : ''}; nothing is copied`);
  return surfaceFailure(() => queryActivities(input).previewRestore(input));
}

/** `pitr backups`: the server folder's backups and, per timeline, the recoverable window, WAL gaps and abandoned histories. */
export async function describeArchive(input: ArchiveQueryInput): Promise<Outcome<'describeArchive'>> {
  setCurrentDetails(`**Backups**: what s3://${input.bucket}/${input.prefix} holds of ${input.server}`);
  return surfaceFailure(() => queryActivities(input).describeArchive(input));
}

/** The activity's own typed failure (type and message: what was wrong, what to do) as the workflow's, for the client to read back. */
async function surfaceFailure<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({ message: err.cause.message, type: err.cause.type ?? undefined, nonRetryable: true, cause: err });
    }
    throw err;
  }
}
