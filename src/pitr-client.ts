// The typed client of pitr, for scripts and for the pitr CLI itself (package "main"; docs/client-example.mjs).
// Everything goes through Temporal: restores, and the read-only questions (`plan`, `backups`) that run on the
// worker of the Barman host, which holds the S3 credentials, the PostgreSQL binaries and the disk. A machine
// running this client needs only Temporal's address and namespace (TEMPORAL_* settings, profiles, TLS, API key:
// @temporalio/envconfig) and, for the defaults, PITR_BUCKET, PITR_PREFIX, PITR_TASK_QUEUE and PITR_SERVER_QUEUES.
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  Client,
  Connection,
  defaultPayloadConverter,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionInfo,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import {
  DESCRIBE_ARCHIVE_WORKFLOW,
  describeArchiveWorkflowId,
  PREVIEW_RESTORE_WORKFLOW,
  previewRestoreWorkflowId,
  QUERY_TIMINGS,
  type ArchiveQueryInput,
  type PreviewRestoreInput,
} from './core/archive-queries';
import { describeTarget, parseRecoveryTarget, parseTargetTime, type RecoveryTarget, type TargetKind } from './core/recovery-target';
import { restoreRecord, type RestoreRecord } from './core/restore-record';
import { taskQueueFor } from './core/server-queues';
import { isUtcMicros, toDate } from './core/timestamp';
import { restoreListQuery, type RestoreListFilter } from './core/visibility-query';
import type { ArchiveOverview } from './io/archive-overview';
import type { DryRunOutcome } from './io/restore-dry-run';
import { loadProjectSettings, settingsEnvironment, type ProjectSettings } from './settings';
import {
  FailureTypes,
  restoreWorkflowId,
  RestoreError,
  SearchAttributes,
  WORKFLOW_TYPE,
  type AdvanceResult,
  type FailureType,
  type FinishMode,
  type HeldState,
  type RestoreInput,
  type RestoreResult,
} from './shared';
import { advanceUpdate, finishUpdate, heldQuery } from './workflows/hold';
import { recordedEvents } from './cli/restore-history';
import { readRestoreStatus, type RestoreStatus } from './cli/restore-status';
import { UsageError } from './cli/usage-error';

export type { ArchiveOverview, TimelineOverview } from './io/archive-overview';
export type { DryRunOutcome, ReachableDryRun, UnreachableDryRun } from './io/restore-dry-run';
export type { PreviewRestoreInput, ArchiveQueryInput } from './core/archive-queries';
export type { RestoreStatus } from './cli/restore-status';
export type { RestoreRecord } from './core/restore-record';
export type { RecoveryTarget } from './core/recovery-target';
export type { AdvanceResult, FinishMode, HeldServer, HeldState, RestoreInput, RestoreResult, RestorePlan, VerifyResult } from './shared';
export { FailureTypes, RestoreError } from './shared';
export { UsageError } from './cli/usage-error';

/** Where a server's backups are, and which worker answers: each field defaults as the CLI's (--bucket, --prefix, --task-queue). */
export interface Location {
  server: string;
  /** Default PITR_BUCKET. */
  bucket?: string;
  /** Default PITR_PREFIX, else ''. */
  prefix?: string;
  /** Default the server's PITR_SERVER_QUEUES entry, else PITR_TASK_QUEUE, else `pitr`. */
  taskQueue?: string;
}

export interface PlanRequest extends Location, Pick<PreviewRestoreInput, 'backupId' | 'targetTimeline' | 'destination' | 'tablespaces'> {
  /** A UTC instant (core/timestamp UtcMicros), or a time with an explicit offset as `pitr plan --target-time` takes it. */
  targetTime: string;
}

export interface RestoreRequest extends Location, Partial<Pick<RestoreInput, 'targetTimeline' | 'targetAction' | 'backupId' | 'force' | 'tablespaces' | 'hold'>> {
  /** A RecoveryTarget, or `{ time: '2026-11-24 06:32:06.397252+00' }` and the like (one kind, as `pitr restore` takes it). */
  target: RecoveryTarget | Partial<Record<Exclude<TargetKind, 'immediate'>, string>> | { immediate: true };
  /** Absolute path of the data directory to create, on the worker's host. */
  destination: string;
}

/** How a query waits: a signal that cancels it (the workflow and its activity), and a note when no worker polls the queue. */
export interface QueryOptions {
  signal?: AbortSignal;
  /** Called once when no worker polled the queue lately: the query waits for one (at most 30 minutes). */
  onNoWorker?(taskQueue: string): void;
}

export interface ListedRestore extends Pick<RestoreStatus, 'id' | 'runId' | 'status' | 'phase' | 'backupId'> {
  server: string | null;
  targetTime: Date | null;
  destination: string | null;
  startTime: Date;
  closeTime: Date | null;
}

/**
 * A restore's status: a running one's phase and progress, and where a held one stands (null when the query found no
 * worker to answer it); an ended one's with its recorded history (result or failure, steps).
 */
export type StatusReport = RestoreStatus & { record?: RestoreRecord; held?: HeldState | null };

/** How long `status` waits for a worker to answer the `held` query: the rest of the status comes from the server alone. */
const HELD_QUERY_DEADLINE_MS = 5_000;

const RESUMABLE = new Set(['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT']);

export class PitrClient {
  /** Connected from the standard Temporal configuration (profiles, TLS, API key, TEMPORAL_* variables), as `pitr` and the worker connect. */
  static async connect(env: Record<string, string | undefined> = process.env): Promise<PitrClient> {
    const config = loadClientConnectConfig();
    const connection = await Connection.connect(config.connectionOptions);
    const namespace = config.namespace ?? 'default';
    return new PitrClient(new Client({ connection, namespace }), namespace, loadProjectSettings(settingsEnvironment(env)), () => connection.close());
  }

  constructor(
    readonly temporal: Client,
    readonly namespace: string,
    readonly settings: ProjectSettings = loadProjectSettings(settingsEnvironment()),
    /** Closes the connection `connect` made; a client given another's connection leaves it open. */
    readonly close: () => Promise<void> = async () => undefined,
  ) {}

  /** `pitr plan`: the dry run of a restore, on the worker: which backup and why, the WAL, bytes, reachability; with a destination, disk and destination checks. */
  plan(request: PlanRequest, options: QueryOptions = {}): Promise<DryRunOutcome> {
    const targetTime = isUtcMicros(request.targetTime) ? request.targetTime : parseTargetTime(request.targetTime).utc;
    const input: PreviewRestoreInput = {
      ...archiveLocation(request, this.settings),
      targetTime,
      ...(request.backupId ? { backupId: request.backupId } : {}),
      ...(request.targetTimeline !== undefined ? { targetTimeline: request.targetTimeline } : {}),
      ...(request.destination !== undefined ? { destination: request.destination } : {}),
      ...(request.tablespaces?.length ? { tablespaces: request.tablespaces } : {}),
    };
    return this.query(PREVIEW_RESTORE_WORKFLOW, previewRestoreWorkflowId(input.server, randomUUID()), input, options);
  }

  /** `pitr backups`: the server folder's backups and, per timeline, the recoverable window, WAL gaps and abandoned histories. */
  backups(location: Location, options: QueryOptions = {}): Promise<ArchiveOverview> {
    const input = archiveLocation(location, this.settings);
    return this.query(DESCRIBE_ARCHIVE_WORKFLOW, describeArchiveWorkflowId(input.server, randomUUID()), input, options);
  }

  /** Starts a restore (one per destination: a second into the same destination is refused); `handle.result()` waits for it. */
  startRestore(request: RestoreRequest): Promise<WorkflowHandleWithFirstExecutionRunId> {
    return startRestore(this.temporal, restoreInputFor(request, this.settings));
  }

  /** A running restore's phase and progress (and a held one's state); an ended one's recorded history too (result or failure, each step). */
  async status(restoreId: string): Promise<StatusReport> {
    const status = await readRestoreStatus(this.temporal.workflow.getHandle(restoreId));
    if (status.status === 'RUNNING') {
      if (status.phase !== 'Held' && status.phase !== 'Advance' && status.phase !== 'Finish') return status;
      const held = await this.temporal.withDeadline(Date.now() + HELD_QUERY_DEADLINE_MS, () => this.held(restoreId)).catch(() => null);
      return { ...status, held };
    }
    return { ...status, record: restoreRecord(recordedEvents(await this.temporal.workflow.getHandle(status.id, status.runId).fetchHistory())) };
  }

  /** Where a held restore stands (target, proved stop, how to connect), or null when it is not held (yet). Answered by a worker. */
  held(restoreId: string): Promise<HeldState | null> {
    return this.temporal.workflow.getHandle(restoreId).query(heldQuery);
  }

  /**
   * Waits until a restore started with `hold` is held at its target (PostgreSQL paused there, proved), and returns
   * where it stands; throws the restore's failure when it ends first.
   */
  async waitUntilHeld(restoreId: string, options: { pollMs?: number; onStatus?(status: RestoreStatus): void } = {}): Promise<HeldState> {
    const handle = this.temporal.workflow.getHandle(restoreId);
    for (;;) {
      const status = await readRestoreStatus(handle);
      options.onStatus?.(status);
      if (status.status !== 'RUNNING') {
        await handle.result();
        throw new UsageError(`restore ${restoreId} ended (${status.status.toLowerCase()}) without being held; was it started with --hold?`);
      }
      if (status.phase === 'Held') {
        const held = await this.held(restoreId);
        if (held?.state === 'held') return held;
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  }

  /**
   * `pitr advance`: moves a held restore's target later (the same kinds as a restore's, on its timeline path). Only the
   * additional WAL is planned and fetched; PostgreSQL replays on from where it paused. Resolves once it is proved to
   * have stopped at the new target; an earlier target is refused, and the restore stays held where it was.
   */
  async advance(restoreId: string, target: RestoreRequest['target']): Promise<AdvanceResult> {
    return decision(() => this.temporal.workflow.getHandle(restoreId).executeUpdate(advanceUpdate, { args: [recoveryTarget(target)] }));
  }

  /** `pitr finish`: promotes a held restore's PostgreSQL, or stops it paused at the target; frees the work area. Resolves with the restore's result. */
  async finish(restoreId: string, mode: FinishMode): Promise<RestoreResult> {
    return decision(() => this.temporal.workflow.getHandle(restoreId).executeUpdate(finishUpdate, { args: [mode] }));
  }

  /** Restores from Temporal visibility, newest first (by start time). */
  async list(filter: RestoreListFilter = {}, limit = 20): Promise<{ query: string; total: number; restores: ListedRestore[] }> {
    const query = restoreListQuery(filter);
    const restores: ListedRestore[] = [];
    // Visibility's own order puts running executions first, then by close time: collect, then sort by start.
    for await (const info of this.temporal.workflow.list({ query })) restores.push(listedRestore(info));
    restores.sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.id < b.id ? -1 : 1));
    return { query, total: restores.length, restores: restores.slice(0, limit) };
  }

  /**
   * Stops a running restore: its step stops through its heartbeats, then it removes its staging area; what was in
   * the destination before is never deleted. With `wait`, returns once it has ended, with its final status.
   */
  async cancel(restoreId: string, options: { wait?: boolean; onRequested?(restoreId: string): void } = {}): Promise<{ id: string; status: string }> {
    const handle = this.temporal.workflow.getHandle(restoreId);
    const current = (await handle.describe()).status.name;
    if (current !== 'RUNNING') throw new UsageError(`restore ${restoreId} is ${current.toLowerCase()}, not running; nothing to cancel`);
    await handle.cancel();
    options.onRequested?.(handle.workflowId);
    if (!options.wait) return { id: handle.workflowId, status: 'CANCEL_REQUESTED' };
    await handle.result().catch(() => undefined);
    return { id: handle.workflowId, status: (await handle.describe()).status.name };
  }

  /** Runs a failed, cancelled or terminated restore again under its id with the input its history records (`force` added on request), reusing its work on disk. */
  async resume(restoreId: string, options: { force?: boolean } = {}): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const handle = this.temporal.workflow.getHandle(restoreId);
    const description = await handle.describe().catch(() => {
      throw new UsageError(`no restore with id ${restoreId}; list them with: temporal workflow list --query "WorkflowType='restoreToPointInTime'"`);
    });
    const status = description.status.name;
    if (!RESUMABLE.has(status)) {
      throw new UsageError(
        status === 'RUNNING'
          ? `restore ${restoreId} is still running (it retries by itself); follow it with: pitr status '${restoreId}'`
          : `restore ${restoreId} is ${status.toLowerCase()}; only a failed, cancelled or terminated restore can be resumed`,
      );
    }
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) throw new Error(`restore ${restoreId} has no recorded input to resume from`);
    const input = defaultPayloadConverter.fromPayload(payload) as RestoreInput;
    return startRestore(this.temporal, options.force ? { ...input, force: true } : input);
  }

  /** The Temporal Web UI page of a restore or query (PITR_TEMPORAL_UI, default http://localhost:8233). */
  uiLink(workflowId: string, runId?: string): string {
    const base = (process.env.PITR_TEMPORAL_UI || 'http://localhost:8233').replace(/\/$/, '');
    return `${base}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}`;
  }

  /** Starts a query workflow on the input's queue and waits for its result; the signal cancels it. */
  private async query<T>(workflowType: string, workflowId: string, input: ArchiveQueryInput, options: QueryOptions): Promise<T> {
    options.signal?.throwIfAborted();
    const handle = await this.temporal.workflow.start(workflowType, {
      taskQueue: input.taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: QUERY_TIMINGS.executionTimeoutMs,
      staticSummary: `${workflowType === PREVIEW_RESTORE_WORKFLOW ? 'Plan (dry run)' : 'Backups'} of ${input.server} in s3://${input.bucket}/${input.prefix}`.slice(0, 200),
    });
    if (options.onNoWorker) void this.warnWithoutWorker(input.taskQueue, options.onNoWorker);
    // The signal also ends the result's long poll: no call to the server outlives the query (a script may close
    // its connection at once, and a call retried on a closed channel throws from a timer).
    const result = options.signal ? this.temporal.withAbortSignal(options.signal, () => handle.result()) : handle.result();
    try {
      return (await result) as T;
    } catch (err) {
      if (!options.signal?.aborted) throw queryFailure(err);
      // The activity stops through its heartbeat and removes its scratch area; this waits only for the request.
      await handle.cancel().catch(() => undefined);
      throw new Error('interrupted');
    }
  }

  private async warnWithoutWorker(taskQueue: string, onNoWorker: (taskQueue: string) => void): Promise<void> {
    try {
      const { pollers } = await this.temporal.workflowService.describeTaskQueue({ namespace: this.namespace, taskQueue: { name: taskQueue } });
      if (!pollers?.length) onNoWorker(taskQueue);
    } catch {
      // Only a courtesy: the query goes on waiting in any case.
    }
  }
}

/** The restore input a request means, with the defaults of `settings` (the typed client's and `pitr restore`'s). */
export function restoreInputFor(request: RestoreRequest, settings: ProjectSettings): RestoreInput {
  const { bucket, prefix, taskQueue } = archiveLocation(request, settings);
  return {
    server: request.server,
    bucket,
    prefix,
    target: recoveryTarget(request.target),
    ...(request.targetTimeline !== undefined ? { targetTimeline: request.targetTimeline } : {}),
    ...(request.targetAction ? { targetAction: request.targetAction } : {}),
    ...(request.backupId ? { backupId: request.backupId } : {}),
    destination: request.destination,
    taskQueue,
    force: request.force ?? false,
    ...(request.tablespaces?.length ? { tablespaces: request.tablespaces } : {}),
    ...(request.hold ? { hold: true } : {}),
  };
}

function archiveLocation(location: Location, settings: ProjectSettings): ArchiveQueryInput {
  const bucket = location.bucket ?? settings.bucket;
  if (!bucket) throw new UsageError('no bucket: pass --bucket or set PITR_BUCKET');
  const { queue } = taskQueueFor(location.server, { explicit: location.taskQueue, serverQueues: settings.serverQueues, defaultQueue: settings.taskQueue });
  return { server: location.server, bucket, prefix: location.prefix ?? settings.prefix, taskQueue: queue };
}

/** Runs `use` with a client connected as `PitrClient.connect` connects it, closed however `use` ends. */
export async function withPitrClient<T>(use: (client: PitrClient) => Promise<T>): Promise<T> {
  const client = await PitrClient.connect();
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** Starts the restore workflow: id `pitr:<server>:<destination>` (one restore per destination), search attributes and UI summary. */
export async function startRestore(client: Client, input: RestoreInput): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const workflowId = restoreWorkflowId(input.server, input.destination);
  try {
    return await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: input.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SearchAttributes.server, value: input.server },
        { key: SearchAttributes.destination, value: input.destination },
        ...(input.target.kind === 'time' ? [{ key: SearchAttributes.targetTime, value: toDate(input.target.utc) }] : []),
        { key: SearchAttributes.phase, value: 'Plan' },
      ],
      staticSummary: `Restore ${input.server} to ${describeTarget(input.target)} into ${input.destination}`.slice(0, 200),
      staticDetails: [
        `**Server** ${input.server} (s3://${input.bucket}/${input.prefix})`,
        `**Target** ${describeTarget(input.target)}${input.target.kind === 'time' ? ` (given as \`${input.target.given}\`)` : ''}` +
          `${input.backupId ? `, from backup ${input.backupId}` : ''}${input.targetTimeline ? `, timeline ${input.targetTimeline}` : ''}, then ${input.targetAction ?? 'pause'}`,
        `**Destination** ${input.destination}`,
        ...(input.tablespaces?.length ? [`**Tablespaces** ${input.tablespaces.map((t) => `${t.name} → ${t.location}`).join(', ')} (the others beside the destination)`] : []),
        `**Task queue** ${input.taskQueue}${input.force ? ' (force)' : ''}`,
      ].join('\n\n'),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UsageError(`a restore into ${input.destination} is already running (restore id ${workflowId}); follow it with: pitr status '${workflowId}'`);
    }
    throw err;
  }
}

/** A restore as visibility lists it, from the search attributes every restore carries. */
export function listedRestore(info: WorkflowExecutionInfo): ListedRestore {
  const attributes = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    server: attributes.get(SearchAttributes.server) ?? null,
    targetTime: attributes.get(SearchAttributes.targetTime) ?? null,
    backupId: attributes.get(SearchAttributes.backupId) ?? null,
    phase: attributes.get(SearchAttributes.phase) ?? null,
    destination: attributes.get(SearchAttributes.destination) ?? null,
    startTime: info.startTime,
    closeTime: info.closeTime ?? null,
  };
}

function isRecoveryTarget(target: unknown): target is RecoveryTarget {
  return typeof target === 'object' && target !== null && typeof (target as { kind?: unknown }).kind === 'string';
}

function recoveryTarget(target: RestoreRequest['target']): RecoveryTarget {
  if (isRecoveryTarget(target)) return target;
  const given = Object.entries(target).filter(([, value]) => value !== undefined && value !== false);
  const [entry] = given;
  if (given.length !== 1 || !entry) throw new UsageError(`give one recovery target (time, lsn, xid, name or immediate), not ${given.length}`);
  const [kind, value] = entry;
  return parseRecoveryTarget(kind as TargetKind, typeof value === 'string' ? value : '');
}

/** A decision's refusal or failure as its message says it (the validator's reason, or the step's own message and type). */
async function decision<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    throw namedFailure(err.cause) ?? new UsageError(err.cause?.message ?? err.message);
  }
}

/**
 * A query's failure as the worker's activity named it: a RestoreError of its type (InvalidInput, ServerNotFound,
 * AccessDenied, ToolMissing, ...) with its message; a timeout or cancellation as what it is.
 */
function queryFailure(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  return namedFailure(err.cause) ?? new Error(err.cause?.message ?? err.message);
}

/** A failure of one of the project's types (src/shared.ts FailureTypes) as a RestoreError of that type; undefined for any other. */
function namedFailure(cause: Error | undefined): RestoreError | undefined {
  if (cause instanceof ApplicationFailure && cause.type && (Object.values(FailureTypes) as string[]).includes(cause.type)) {
    return new RestoreError(cause.type as FailureType, cause.message);
  }
  return undefined;
}
