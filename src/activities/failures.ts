// One place that turns errors into Temporal failures: typed, non-retryable ones for what retrying
// cannot fix, plain (retryable) errors for everything else.
import { ApplicationFailure } from '@temporalio/activity';
import { NON_RETRYABLE_FAILURE_TYPES } from '../shared';
import { classifyS3Error } from '../io/s3-client';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string' && NON_RETRYABLE_FAILURE_TYPES.includes(type)) {
    return ApplicationFailure.nonRetryable((err as Error).message, type);
  }
  if ((err as { $metadata?: unknown })?.$metadata !== undefined) {
    const s3 = classifyS3Error(err);
    if (!s3.retryable) return ApplicationFailure.nonRetryable(s3.message, s3.type ?? 'AccessDenied');
  }
  return err;
}

/** Runs an activity body, converting what it throws. */
export async function adaptFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
