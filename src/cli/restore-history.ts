// Reads a restore's workflow history from Temporal and decodes the events src/core/restore-record.ts needs
// (activity steps, the start, the end) into plain values. The history is Temporal's own record: it is there
// whether or not the worker that ran the restore, or its host, is still reachable.
import { defaultPayloadConverter } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import type { FailureSummary, RecordedEvent } from '../core/restore-record';

type Failure = temporal.api.failure.v1.IFailure;
type Payloads = temporal.api.common.v1.IPayloads;

export function recordedEvents(history: History): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const e of history.events ?? []) {
    const at = timestampMs(e.eventTime);
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      out.push({ kind: 'workflowStarted', at, taskQueue: a.taskQueue?.name ?? '', input: first(a.input) });
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      out.push({ kind: 'activityScheduled', eventId: Number(e.eventId), at, activity: a.activityType?.name ?? '?', taskQueue: a.taskQueue?.name ?? '' });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      out.push({ kind: 'activityStarted', scheduledEventId: Number(a.scheduledEventId), at, attempt: a.attempt ?? 1, identity: a.identity ?? '' });
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      out.push({ kind: 'activityCompleted', scheduledEventId: Number(a.scheduledEventId), at, result: first(a.result) });
    } else if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      out.push({ kind: 'activityFailed', scheduledEventId: Number(a.scheduledEventId), at, failure: summarise(a.failure) });
    } else if (e.activityTaskTimedOutEventAttributes) {
      const a = e.activityTaskTimedOutEventAttributes;
      out.push({ kind: 'activityTimedOut', scheduledEventId: Number(a.scheduledEventId), at, failure: summarise(a.failure) });
    } else if (e.activityTaskCanceledEventAttributes) {
      out.push({ kind: 'activityCanceled', scheduledEventId: Number(e.activityTaskCanceledEventAttributes.scheduledEventId), at });
    } else if (e.workflowExecutionCompletedEventAttributes) {
      out.push({ kind: 'workflowCompleted', at, result: first(e.workflowExecutionCompletedEventAttributes.result) });
    } else if (e.workflowExecutionFailedEventAttributes) {
      out.push({ kind: 'workflowFailed', at, failure: summarise(e.workflowExecutionFailedEventAttributes.failure) });
    } else if (e.workflowExecutionCanceledEventAttributes) {
      out.push({ kind: 'workflowCanceled', at });
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      out.push({ kind: 'workflowTerminated', at, reason: e.workflowExecutionTerminatedEventAttributes.reason ?? '' });
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      out.push({ kind: 'workflowTimedOut', at });
    }
  }
  return out;
}

/** Milliseconds of a protobuf Timestamp, whose seconds are a Long from the server and a number from a JSON history. */
function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  const s = ts.seconds as { toNumber?: () => number } | number | string | null | undefined;
  const seconds = typeof s === 'object' && s !== null && typeof s.toNumber === 'function' ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

function first(payloads: Payloads | null | undefined): unknown {
  const payload = payloads?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

/**
 * The failure a person needs: the first in the cause chain that names a type (the activity's own
 * ApplicationFailure, which the workflow passes on) or says it was a timeout, with its message; wrappers
 * such as "Activity task failed" are skipped.
 */
export function summarise(failure: Failure | null | undefined): FailureSummary {
  for (let f = failure; f; f = f.cause) {
    if (f.applicationFailureInfo?.type) return { type: f.applicationFailureInfo.type, message: f.message ?? '' };
    if (f.timeoutFailureInfo) return { type: 'Timeout', message: f.message || 'timed out' };
    if (f.canceledFailureInfo) return { type: 'Cancelled', message: f.message || 'cancelled' };
  }
  return { type: null, message: failure?.message ?? 'no failure recorded' };
}
