import { Context } from '@temporalio/activity';
import { acquireFence, attemptIdentity } from '../io/attempt-fence';
import { destinationControl } from '../io/destination-control';
import { DEFAULT_TIMINGS, type RestoreInput, type RestorePhase } from '../shared';
import { currentRun, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withProgress, type ProgressReporter } from './progress';

/**
 * Runs a step's body holding the restore's attempt fence (io/attempt-fence): a stale attempt of a step
 * and its retry never write side by side. `lost` aborts when another attempt took the fence over; the body
 * hands it to withProgress, whose signal every long operation already obeys.
 */
export async function withAttemptFence<T>(deps: ActivityDeps, input: Pick<RestoreInput, 'destination' | 'timings'>, body: (lost: AbortSignal) => Promise<T>): Promise<T> {
  const { activityType, attempt } = Context.current().info;
  const me = attemptIdentity({ ...currentRun(), step: activityType, attempt });
  // The lease is the heartbeat timeout: a holder silent that long is also one Temporal has given up on.
  const leaseMs = input.timings?.heartbeatTimeoutMs ?? DEFAULT_TIMINGS.heartbeatTimeoutMs;
  const fence = await acquireFence(destinationControl(deps.workRoot, input.destination).attemptFile, me, leaseMs);
  const lost = new AbortController();
  const renewal = setInterval(() => {
    fence.renew().then(
      (held) => {
        if (!held) lost.abort(new Error(`attempt ${attempt} of ${activityType} stopped: a later attempt took this restore over after this one went silent`));
      },
      () => undefined,
    );
  }, Math.max(250, Math.floor(leaseMs / 4)));
  try {
    return await body(lost.signal);
  } finally {
    clearInterval(renewal);
    await fence.release();
  }
}

/** A restore step's body: run holding the attempt fence, heartbeating as `phase`, its errors made Temporal failures. */
export function fencedStep<T>(deps: ActivityDeps, input: Pick<RestoreInput, 'destination' | 'timings'>, phase: RestorePhase, body: (progress: ProgressReporter) => Promise<T>): Promise<T> {
  return adaptFailures(() => withAttemptFence(deps, input, (lost) => withProgress(phase, deps.heartbeatIntervalMs, lost, body)));
}
