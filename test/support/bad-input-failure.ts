// A restore that must fail, with what its history says about the failure: which activity ended it,
// at which attempt, and whether the failure was non-retryable. "Fails fast" means attempt 1.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import type { RestoreInput, RestoreResult } from '../../src/shared';
import type { RestoreHarness } from './restore-harness';

export interface FailedActivity {
  name: string;
  attempt: number;
  nonRetryable: boolean;
  type: string | undefined;
}

export interface FailedRestore {
  type: string | undefined;
  message: string;
  handle: WorkflowHandle;
  /** The activity whose failure ended the restore (null when the workflow itself failed). */
  activity: FailedActivity | null;
  elapsedMs: number;
}

export async function runFailingRestore(harness: RestoreHarness, input: RestoreInput): Promise<FailedRestore> {
  const started = Date.now();
  const handle = await harness.start(input);
  const error = await handle.result().then(
    (result: RestoreResult) => assert.fail(`the restore should have failed, but completed: ${JSON.stringify(result.verify)}`),
    (err: unknown) => err,
  );
  const elapsedMs = Date.now() - started;
  assert.ok(error instanceof WorkflowFailedError, String(error));
  return {
    type: (error.cause as { type?: string }).type,
    message: String(error.cause?.message),
    handle,
    activity: await failedActivity(handle),
    elapsedMs,
  };
}

export async function failedActivity(handle: WorkflowHandle): Promise<FailedActivity | null> {
  const events = (await handle.fetchHistory()).events ?? [];
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  const failed = [...events].reverse().find((e) => e.activityTaskFailedEventAttributes);
  if (!failed) return null;
  const attrs = failed.activityTaskFailedEventAttributes!;
  const scheduled = byId.get(String(attrs.scheduledEventId))?.activityTaskScheduledEventAttributes;
  const started = byId.get(String(attrs.startedEventId))?.activityTaskStartedEventAttributes;
  return {
    name: scheduled?.activityType?.name ?? '?',
    attempt: started?.attempt ?? 0,
    nonRetryable: attrs.failure?.applicationFailureInfo?.nonRetryable === true,
    type: attrs.failure?.applicationFailureInfo?.type ?? undefined,
  };
}

/** The worker's per-restore work area for a restore of `server` into `destination`. */
export function workAreaOf(harness: RestoreHarness, server: string, destination: string): string {
  return harness.workArea({ server, destination }).root;
}
