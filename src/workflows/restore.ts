// The restore, step by step, as the manual procedure it replaces: plan, fetch the base backup,
// extract it, fetch the WAL up to the target, stage everything into a Barman home, let Barman
// recover it, and prove PostgreSQL replays to the target (verify then frees the work area). Only small
// facts cross between steps. With --hold, verify leaves PostgreSQL paused at the target and the restore waits
// for a person's decisions (./hold.ts).
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { RestoreActivities } from '../activities';
import { describeTarget } from '../core/recovery-target';
import { HoldDecisions } from './hold';
import { stepFailure } from './step-failure';
import {
  DEFAULT_TIMINGS,
  NON_RETRYABLE_FAILURE_TYPES,
  SearchAttributes,
  type RestoreInput,
  type RestorePhase,
  type RestorePlan,
  type RestoreResult,
} from '../shared';

/**
 * Attempts of a step other than a transfer before the restore fails with its last error (about 8 minutes
 * of retries with the default backoff): a step that failed ten times the same way is not going to heal.
 */
export const STEP_MAXIMUM_ATTEMPTS = 10;

/**
 * Steps retried until they succeed: transfers resume from what is already on disk (a long S3 outage, a
 * full disk that someone frees), the cleanup after a cancel puts the user's directory back, and keeping a held
 * restore's server goes on for as long as the restore is held (a worker restart is its retry).
 */
const UNLIMITED_STEPS: ReadonlySet<string> = new Set<keyof RestoreActivities>(['syncAndExtractBaseBackup', 'syncWalRange', 'abandonRestore', 'keepHeld']);

function activityOptions(input: RestoreInput): { quick: ActivityOptions; long: ActivityOptions } {
  const timings = { ...DEFAULT_TIMINGS, ...input.timings };
  const retry = {
    initialInterval: timings.retryInitialMs,
    maximumInterval: timings.retryMaximumMs,
    backoffCoefficient: 2,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  };
  // No scheduleToStart timeout: work waits on the host-bound queue until that host's worker is back.
  // On cancellation, wait for the step to stop (children killed) before cleaning up after it.
  const common = { taskQueue: input.taskQueue, heartbeatTimeout: timings.heartbeatTimeoutMs, retry, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
  return {
    quick: { ...common, startToCloseTimeout: '10 minutes' },
    long: { ...common, startToCloseTimeout: '24 hours' },
  };
}

/** Activities with `options`: the unlimited steps retry as long as it takes, every other step at most STEP_MAXIMUM_ATTEMPTS times. */
function proxySteps(options: ActivityOptions): Steps {
  const unlimited = proxyActivities<RestoreActivities>(options);
  const limited = proxyActivities<RestoreActivities>({ ...options, retry: { ...options.retry, maximumAttempts: STEP_MAXIMUM_ATTEMPTS } });
  return new Proxy({} as Steps, {
    get: (_target, name) => (typeof name === 'string' && UNLIMITED_STEPS.has(name) ? unlimited : limited)[name as keyof Steps],
  });
}

export type Steps = ReturnType<typeof proxyActivities<RestoreActivities>>;
export type EnterPhase = (phase: RestorePhase, details: string, backupId?: string) => { summary: string };

export async function restoreToPointInTime(input: RestoreInput): Promise<RestoreResult> {
  const { quick, long } = activityOptions(input);
  const steps = proxySteps(long);
  const quickSteps = proxySteps(quick);

  // Each step shows in the UI three ways: the phase search attribute, the current details, and the
  // activity's own summary (returned here for the call).
  const enter: EnterPhase = (phase, details, backupId) => {
    upsertSearchAttributes([{ key: SearchAttributes.phase, value: phase }, ...(backupId ? [{ key: SearchAttributes.backupId, value: backupId }] : [])]);
    setCurrentDetails(`**${phase}**: ${details}`);
    return { summary: details.slice(0, 200) };
  };
  // Registered first, so that a decision sent too early is refused with the reason rather than left waiting.
  const decisions = new HoldDecisions(input, steps, enter);

  let plan: RestorePlan | undefined;
  try {
    plan = await steps.planRestore.executeWithOptions(
      enter('Plan', `choosing a backup for ${describeTarget(input.target)} and the WAL that reaches it`),
      [input],
    );
    return await restoreSteps(input, plan, enter, steps, decisions);
  } catch (err) {
    if (isCancellation(err)) {
      // A long step: removing a large restore heartbeats for as long as it takes.
      await CancellationScope.nonCancellable(() => steps.abandonRestore.executeWithOptions(enter('Cancel', `removing what the restore wrote into ${input.destination} and its work area`), [input, plan?.pgVersion]));
      setCurrentDetails('**Cancelled**: staging removed; what was in the destination before is back as it was');
      throw err;
    }
    // This run has ended: its claim on the destination must authorise nothing any more (the work area stays for a resume).
    await CancellationScope.nonCancellable(() => quickSteps.releaseDestination(input)).catch(() => undefined);
    throw stepFailure(err);
  }
}

async function restoreSteps(input: RestoreInput, plan: RestorePlan, enter: EnterPhase, steps: Steps, decisions: HoldDecisions): Promise<RestoreResult> {
  const base = await steps.syncAndExtractBaseBackup.executeWithOptions(
    enter('SyncBase', `downloading and extracting backup ${plan.backupId} (${plan.baseObjects} objects, ${plan.baseBytes} bytes) into the Barman home`, plan.backupId),
    [input, plan],
  );
  const wal = await steps.syncWalRange.executeWithOptions(
    enter('SyncWal', `downloading ${plan.walSegments} WAL segments ${plan.beginWal} to ${plan.endWal}`),
    [input, plan],
  );
  // Long: decompressing thousands of segments and handing a large tree to the Barman user outlast 10 minutes (it heartbeats).
  const registered = await steps.stageAndRebuildXlogdb.executeWithOptions(
    enter('Stage', 'staging WAL for Barman (mtimes, ownership, configuration), then barman rebuild-xlogdb'),
    [input, plan],
  );
  await steps.recoverWithBarman.executeWithOptions(enter('Recover', `barman recover to ${describeTarget(input.target)} into ${input.destination}`), [input, plan]);
  if (input.hold) return decisions.hold(plan, { base, wal, walFilesRegistered: registered.walFiles });
  // Verify is the last step: once the result is proved it also frees the work area and the destination's claim.
  const verify = await steps.verifyAndFinishRestore.executeWithOptions(
    enter('Verify', `starting PostgreSQL privately until replay reaches the target (then ${input.targetAction ?? 'pause'}), then freeing the work area`),
    [input, plan],
  );
  return done(input, plan, enter, { base, wal, walFilesRegistered: registered.walFiles, verify });
}

function done(input: RestoreInput, plan: RestorePlan, enter: EnterPhase, outcome: Pick<RestoreResult, 'base' | 'wal' | 'walFilesRegistered' | 'verify'>): RestoreResult {
  enter('Done', `restored to ${describeTarget(input.target)}: last replayed commit ${outcome.verify.lastReplayedCommit ?? 'unknown'}, ${outcome.verify.state}`);
  return { restoreId: workflowInfo().workflowId, destination: input.destination, plan, ...outcome };
}
