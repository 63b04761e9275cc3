import { startPostgres, stopPostgres, waitForRecoveryEnd } from '../io/postgres-instance';
import { handOverTree } from '../io/tree-operations';
import { makeWorkArea, workDirLayout } from '../io/work-dir';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan, type VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { reportProgress } from './progress';
import { finishRestore } from './finish-restore';

/**
 * The last step, verify then finish: starts PostgreSQL privately on the result, waits for replay to end at
 * the target, stops it again; then frees the work area and the destination's claim (finishRestore). A retry
 * after the finish starts over here and finds nothing left to free.
 */
export function verifyRecoveredClusterActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<VerifyResult> =>
    adaptFailures(async () => {
      return withAttemptFence(deps, input, async (lost) => {
        const layout = workDirLayout(plan.workDir);
        // The work area is gone when a retry follows a release whose completion never reached the server;
        // PostgreSQL writes its log there.
        if (await makeWorkArea(layout)) await handOverTree(layout.root, deps.barmanUser);
        const progress = reportProgress('Verify', deps.heartbeatIntervalMs, lost);
        const instance = await startPostgres({
          pgBinDir: deps.pgBinDir(plan.pgVersion),
          dataDir: input.destination,
          user: deps.barmanUser,
          logFile: layout.verifyLog,
          signal: progress.signal,
        });
        let result: VerifyResult;
        try {
          const state = await waitForRecoveryEnd(instance, {
            ...deps.verify,
            signal: progress.signal,
            onPoll: (s) => progress.update({ current: s?.lastReplayedCommit ? `replayed to ${s.lastReplayedCommit}` : 'starting' }),
          });
          const { target } = input;
          if (target.kind === 'time' && state.lastReplayedCommit !== null && state.lastReplayedCommit > target.utc) {
            throw new RestoreError(FailureTypes.RecoveryFailed, `recovery replayed a commit at ${state.lastReplayedCommit}, later than the target ${target.utc}`);
          }
          const outcome = state.pauseState === 'shutdown' ? 'shutdown' : state.inRecovery ? 'paused' : 'promoted';
          const expected = input.targetAction === 'promote' ? 'promoted' : input.targetAction === 'shutdown' ? 'shutdown' : 'paused';
          if (outcome !== expected) {
            throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL ended recovery ${outcome}, but the target action asked for ${expected}; see ${layout.verifyLog}`);
          }
          result = { state: outcome, lastReplayedCommit: state.lastReplayedCommit, timeline: state.timeline, overriddenSettings: instance.overriddenSettings };
        } finally {
          await stopPostgres(instance);
          progress.stop();
        }
        // Verified: finish the restore. Removing hundreds of gigabytes outlasts a heartbeat timeout, so beat while it runs.
        const finishing = reportProgress('Verify', deps.heartbeatIntervalMs);
        try {
          finishing.update({ current: `verified; freeing the work area ${plan.workDir}` });
          await finishRestore(deps, input, plan, finishing.signal);
        } finally {
          finishing.stop();
        }
        return result;
      });
    });
}
