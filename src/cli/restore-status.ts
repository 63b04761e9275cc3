// What a restore is doing, from Temporal's describe (works without a live worker): status, phase,
// and the progress the running activity last heartbeated.
import { defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { formatBytes } from '../core/report-format';
import { terminalSafe } from '../core/untrusted-text';
import { SearchAttributes, type ProgressDetails } from '../shared';

export interface RestoreStatus {
  id: string;
  runId: string;
  status: string;
  phase: string | null;
  backupId: string | null;
  progress: ProgressDetails | null;
  attempt: number | null;
  lastFailure: string | null;
}

export async function readRestoreStatus(handle: WorkflowHandle): Promise<RestoreStatus> {
  const description = await handle.describe();
  const pending = description.raw.pendingActivities?.[0];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  return {
    id: description.workflowId,
    runId: description.runId,
    status: description.status.name,
    phase: description.typedSearchAttributes.get(SearchAttributes.phase) ?? null,
    backupId: description.typedSearchAttributes.get(SearchAttributes.backupId) ?? null,
    progress: payload ? (defaultPayloadConverter.fromPayload(payload) as ProgressDetails) : null,
    attempt: pending?.attempt ?? null,
    lastFailure: pending?.lastFailure?.message ?? null,
  };
}

export function formatStatusLine(status: RestoreStatus): string {
  const parts = [`${status.status}`, `phase ${status.phase ?? '?'}`];
  const p = status.progress;
  if (p && p.bytesTotal > 0) parts.push(`${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`);
  if (p && p.filesTotal > 0) parts.push(`${p.filesDone}/${p.filesTotal} files`);
  if (p?.current) parts.push(p.current);
  if (status.attempt && status.attempt > 1) parts.push(`attempt ${status.attempt}${status.lastFailure ? ` after: ${status.lastFailure}` : ''}`);
  // The current object and a failure's message may quote names and values from the bucket.
  return terminalSafe(parts.join(', '));
}
