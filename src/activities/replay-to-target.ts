import { proveRecoveryStop, readRecoveryLog, type StopCheckRequest } from '../core/recovery-stop';
import { replayEndOfPlan, replayProgressDetails, withSample, type ReplaySample } from '../core/replay-progress';
import { readRecoveryLogs, startPostgres, stopPostgres, waitForRecoveryEnd, type PostgresInstance } from '../io/postgres-instance';
import type { WorkDirLayout } from '../io/work-dir';
import type { HeldServer, RestorePlan, VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import type { ProgressReporter } from './progress';

/** The target, its action and the data directory are those the stop is proved against. */
export interface ReplayRequest extends Pick<StopCheckRequest, 'target' | 'targetAction' | 'dataDir'> {
  plan: RestorePlan;
  layout: WorkDirLayout;
  progress: ProgressReporter;
}

/**
 * Starts PostgreSQL privately on the restored directory, waits for replay to end, and proves from this start's log
 * and the replay position that it ended where the plan says (src/core/recovery-stop.ts: a pause for another reason
 * is RecoveryStoppedShort). The server is left running for the caller, who stops it (verify) or holds it (--hold,
 * advance); on a failure it is stopped here.
 */
export async function replayToTarget(deps: ActivityDeps, request: ReplayRequest): Promise<{ instance: PostgresInstance; verify: VerifyResult }> {
  const { plan, progress } = request;
  const instance = await startPostgres({
    pgBinDir: deps.pgBinDir(plan.pgVersion),
    dataDir: request.dataDir,
    user: deps.barmanUser,
    logFile: request.layout.verifyLog,
    signal: progress.signal,
  });
  try {
    // How far replay is from the plan's stop, from the polls that wait for its end (pitr status, the UI).
    const replayEnd = replayEndOfPlan(plan);
    let samples: ReplaySample[] = [];
    const end = await waitForRecoveryEnd(instance, {
      ...deps.verify,
      signal: progress.signal,
      onPoll: (s) => {
        if (s?.replayLsn) samples = withSample(samples, { atMs: Date.now(), replayLsn: s.replayLsn, lastReplayedCommit: s.lastReplayedCommit });
        progress.update(replayProgressDetails(replayEnd, samples) ?? { current: 'starting PostgreSQL' });
      },
    });
    const state = end.outcome === 'exited' ? null : end.state;
    const logs = await readRecoveryLogs(instance);
    const stop = proveRecoveryStop({
      target: request.target,
      targetAction: request.targetAction,
      plan,
      observed: {
        outcome: end.outcome,
        replayLsn: state?.replayLsn ?? null,
        lastReplayedCommit: state?.lastReplayedCommit ?? null,
        checkpointTimeline: state?.timeline ?? null,
      },
      thisRun: readRecoveryLog(logs.thisRun),
      earlier: readRecoveryLog(logs.earlier),
      dataDir: request.dataDir,
      logFile: request.layout.verifyLog,
    });
    const verify: VerifyResult = {
      state: stop.state,
      lastReplayedCommit: state?.lastReplayedCommit ?? null,
      timeline: stop.promotedTo ?? stop.timeline,
      stoppedAt: { lsn: stop.lsn, timeline: stop.timeline, description: stop.description },
      overriddenSettings: instance.overriddenSettings,
    };
    return { instance, verify };
  } catch (err) {
    await stopPostgres(instance);
    throw err;
  }
}

/** How a person reaches a held server. */
export function heldServer(instance: PostgresInstance): HeldServer {
  return { host: '127.0.0.1', port: instance.port, socketDir: instance.socketDir, user: instance.user, dataDir: instance.dataDir };
}
