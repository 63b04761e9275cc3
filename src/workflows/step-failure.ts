import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** A step's failure as the restore's (or a decision's): the activity's own message (what was wrong, what to do) and type. */
export function stepFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ message: err.cause.message, type: err.cause.type ?? undefined, nonRetryable: true, cause: err });
  }
  return err;
}
