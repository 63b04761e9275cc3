import { startPostgres, stopPostgres, waitForRecoveryEnd } from '../io/postgres-instance';
import { workDirLayout } from '../io/work-dir';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan, type VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

/** Starts PostgreSQL privately on the result, waits for replay to end at the target, stops it again. */
export function verifyRecoveredClusterActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<VerifyResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const progress = reportProgress('Verify', deps.heartbeatIntervalMs);
      const instance = await startPostgres({
        pgBinDir: deps.pgBinDir(plan.pgVersion),
        dataDir: input.destination,
        user: deps.barmanUser,
        logFile: layout.verifyLog,
        signal: progress.signal,
      });
      try {
        const state = await waitForRecoveryEnd(instance, {
          ...deps.verify,
          signal: progress.signal,
          onPoll: (s) => progress.update({ current: s?.lastReplayedCommit ? `replayed to ${s.lastReplayedCommit}` : 'starting' }),
        });
        if (input.targetTime && state.lastReplayedCommit !== null && state.lastReplayedCommit > input.targetTime) {
          throw new RestoreError(FailureTypes.RecoveryFailed, `recovery replayed a commit at ${state.lastReplayedCommit}, later than the target ${input.targetTime}`);
        }
        const outcome = state.pauseState === 'shutdown' ? 'shutdown' : state.inRecovery ? 'paused' : 'promoted';
        const expected = input.targetAction === 'promote' ? 'promoted' : input.targetAction === 'shutdown' ? 'shutdown' : 'paused';
        if (outcome !== expected) {
          throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL ended recovery ${outcome}, but the target action asked for ${expected}; see ${layout.verifyLog}`);
        }
        return { state: outcome, lastReplayedCommit: state.lastReplayedCommit, timeline: state.timeline };
      } finally {
        await stopPostgres(instance);
        progress.stop();
      }
    });
}
