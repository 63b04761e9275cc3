// Facts read back from a restore's Temporal history, and a polling helper, for integration suites.
import type { WorkflowHandle } from '@temporalio/client';

/** The highest attempt each activity type was started with (1 when it never retried). */
export async function activityAttempts(handle: WorkflowHandle): Promise<Record<string, number>> {
  const history = await handle.fetchHistory();
  const typeOf = new Map<string, string>();
  const attempts: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) typeOf.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const name = typeOf.get(String(started.scheduledEventId)) ?? '?';
      attempts[name] = Math.max(attempts[name] ?? 0, started.attempt ?? 1);
    }
  }
  return attempts;
}

export async function activityAttempt(handle: WorkflowHandle, activity: string): Promise<number> {
  return (await activityAttempts(handle))[activity] ?? 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(pollMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
