// What a restore's workflow history says about it once it has ended: the steps it ran (how long each took,
// how many attempts, on which worker), its result or its failure, and what a resume would find on the worker's
// disk. Built from history events already decoded into plain values (src/cli/restore-history.ts), so that this
// logic needs neither Temporal's protobufs nor a server to be tested.
import type { RestoreInput, RestorePlan, RestoreResult, TransferResult } from '../shared';

export interface FailureSummary {
  /** The failure type (a FailureTypes name, Timeout, ...), null when the failure named none. */
  type: string | null;
  message: string;
}

/** History events, decoded: times in milliseconds since the epoch, payloads as the values they carry. */
export type RecordedEvent =
  | { kind: 'workflowStarted'; at: number; taskQueue: string; input: unknown }
  | { kind: 'activityScheduled'; eventId: number; at: number; activity: string; taskQueue: string }
  | { kind: 'activityStarted'; scheduledEventId: number; at: number; attempt: number; identity: string }
  | { kind: 'activityCompleted'; scheduledEventId: number; at: number; result: unknown }
  | { kind: 'activityFailed'; scheduledEventId: number; at: number; failure: FailureSummary }
  | { kind: 'activityTimedOut'; scheduledEventId: number; at: number; failure: FailureSummary }
  | { kind: 'activityCanceled'; scheduledEventId: number; at: number }
  | { kind: 'workflowCompleted'; at: number; result: unknown }
  | { kind: 'workflowFailed'; at: number; failure: FailureSummary }
  | { kind: 'workflowCanceled'; at: number }
  | { kind: 'workflowTerminated'; at: number; reason: string }
  | { kind: 'workflowTimedOut'; at: number };

export type StepOutcome = 'completed' | 'failed' | 'timed out' | 'cancelled' | 'unfinished';

export interface StepRecord {
  /** The activity type, as the Temporal UI names the step. */
  name: string;
  taskQueue: string;
  scheduledAt: string;
  /** The start of its last attempt (absent if no worker ever picked it up). */
  startedAt?: string;
  endedAt?: string;
  /** From scheduling to the end: waiting for the host's worker and every retry included. */
  durationMs?: number;
  attempts: number;
  /** The worker that ran its last attempt (`pid@host` unless the worker set another identity). */
  worker?: string;
  outcome: StepOutcome;
  failure?: FailureSummary;
}

export type RestoreOutcome = 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'running';

export interface RestoreRecord {
  outcome: RestoreOutcome;
  startedAt: string;
  closedAt?: string;
  durationMs?: number;
  /** The task queue the restore was started on (its workflow tasks; the steps go to input.taskQueue). */
  taskQueue: string;
  input?: RestoreInput;
  steps: StepRecord[];
  /** What the plan step decided (also inside `result` for a completed restore). */
  plan?: RestorePlan;
  base?: TransferResult;
  wal?: TransferResult;
  result?: RestoreResult;
  failure?: FailureSummary;
}

export function restoreRecord(events: readonly RecordedEvent[]): RestoreRecord {
  const started = events.find((e) => e.kind === 'workflowStarted');
  if (!started || started.kind !== 'workflowStarted') throw new Error('the history has no start event: it is not the history of a restore');
  const record: RestoreRecord = {
    outcome: 'running',
    startedAt: iso(started.at),
    taskQueue: started.taskQueue,
    input: started.input as RestoreInput,
    steps: [],
  };
  const steps = new Map<number, StepRecord>();
  const results = new Map<string, unknown>();
  const close = (id: number, at: number, outcome: StepOutcome, failure?: FailureSummary) => {
    const step = steps.get(id);
    if (!step) return undefined;
    step.endedAt = iso(at);
    step.durationMs = at - Date.parse(step.scheduledAt);
    step.outcome = outcome;
    if (failure) step.failure = failure;
    return step;
  };
  const end = (at: number, outcome: RestoreOutcome) => {
    record.outcome = outcome;
    record.closedAt = iso(at);
    record.durationMs = at - started.at;
  };
  for (const e of events) {
    switch (e.kind) {
      case 'activityScheduled': {
        const step: StepRecord = { name: e.activity, taskQueue: e.taskQueue, scheduledAt: iso(e.at), attempts: 0, outcome: 'unfinished' };
        steps.set(e.eventId, step);
        record.steps.push(step);
        break;
      }
      case 'activityStarted': {
        const step = steps.get(e.scheduledEventId);
        if (step) Object.assign(step, { startedAt: iso(e.at), attempts: e.attempt, worker: e.identity });
        break;
      }
      case 'activityCompleted': {
        const step = close(e.scheduledEventId, e.at, 'completed');
        if (step) results.set(step.name, e.result);
        break;
      }
      case 'activityFailed':
        close(e.scheduledEventId, e.at, 'failed', e.failure);
        break;
      case 'activityTimedOut':
        close(e.scheduledEventId, e.at, 'timed out', e.failure);
        break;
      case 'activityCanceled':
        close(e.scheduledEventId, e.at, 'cancelled');
        break;
      case 'workflowCompleted':
        end(e.at, 'completed');
        record.result = e.result as RestoreResult;
        break;
      case 'workflowFailed':
        end(e.at, 'failed');
        record.failure = e.failure;
        break;
      case 'workflowCanceled':
        end(e.at, 'cancelled');
        break;
      case 'workflowTerminated':
        end(e.at, 'terminated');
        record.failure = { type: 'Terminated', message: e.reason || 'terminated without a reason' };
        break;
      case 'workflowTimedOut':
        end(e.at, 'timed out');
        record.failure = { type: 'Timeout', message: 'the restore ran past its workflow timeout' };
        break;
    }
  }
  const plan = results.get('planRestore') as RestorePlan | undefined;
  const base = results.get('syncAndExtractBaseBackup') as TransferResult | undefined;
  const wal = results.get('syncWalRange') as TransferResult | undefined;
  return { ...record, ...(plan ? { plan } : {}), ...(base ? { base } : {}), ...(wal ? { wal } : {}) };
}

/** What `pitr resume` would find done, as the history shows it (the work area itself may say more). */
export interface ResumeReuse {
  /** False when a resume starts from nothing: the cancel's clean-up removed the work area, or the restore completed. */
  reusesWork: boolean;
  /** The base backup downloaded and extracted by the ended run (its step completed). */
  baseBackup?: { backupId: string; objects: number; bytes: number };
  /** The WAL fetched by the ended run (its step completed). */
  wal?: { first: string; last: string; files: number; bytes: number };
  /** The steps a resume runs again (the plan always: the bucket may have changed meanwhile). */
  runsAgain: string[];
  /** One sentence for a person. */
  note: string;
}

const RESTORE_STEPS = ['planRestore', 'syncAndExtractBaseBackup', 'syncWalRange', 'stageAndRebuildXlogdb', 'recoverWithBarman', 'verifyAndFinishRestore'];

export function resumeReuse(record: RestoreRecord): ResumeReuse {
  if (record.outcome === 'completed' || record.outcome === 'running') {
    return { reusesWork: false, runsAgain: [], note: `the restore is ${record.outcome}: there is nothing to resume` };
  }
  if (record.steps.some((s) => s.name === 'abandonRestore' && s.outcome === 'completed')) {
    return { reusesWork: false, runsAgain: RESTORE_STEPS, note: 'the cancel removed the work area: a resume downloads everything again' };
  }
  const done = new Set(record.steps.filter((s) => s.outcome === 'completed').map((s) => s.name));
  const baseBackup = done.has('syncAndExtractBaseBackup') && record.plan && record.base
    ? { backupId: record.plan.backupId, objects: record.base.objects, bytes: record.base.bytesTotal }
    : undefined;
  const wal = done.has('syncWalRange') && record.plan && record.wal
    ? { first: record.plan.beginWal, last: record.plan.endWal, files: record.wal.objects, bytes: record.wal.bytesTotal }
    : undefined;
  // The plan runs again on every resume; the transfers skip what their journal records, the other steps start over.
  const runsAgain = RESTORE_STEPS.filter((s) => s === 'planRestore' || !((s === 'syncAndExtractBaseBackup' && baseBackup) || (s === 'syncWalRange' && wal)));
  const note = baseBackup || wal
    ? 'completed downloads are skipped (the worker checks each against its journal); the other steps run again'
    : done.has('planRestore') || record.steps.some((s) => s.name === 'planRestore')
      ? 'no transfer step completed: a resume skips only the downloads the journal recorded before the failure'
      : 'the restore ended before planning: a resume starts from the beginning';
  return { reusesWork: Boolean(baseBackup || wal) || record.steps.length > 0, ...(baseBackup ? { baseBackup } : {}), ...(wal ? { wal } : {}), runsAgain, note };
}

/** The host of a worker identity (`pid@host`, the SDK's default), or null for an identity of another form. */
export function identityHost(identity: string | undefined): string | null {
  const match = identity ? /^\d+@(.+)$/.exec(identity) : null;
  return match ? match[1]! : null;
}

/** The worker that ran the restore's last step that started: the host whose disk holds the work area. */
export function lastWorker(record: RestoreRecord): string | undefined {
  return [...record.steps].reverse().find((s) => s.worker)?.worker;
}

/** A duration for a person: `0.4 s`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
