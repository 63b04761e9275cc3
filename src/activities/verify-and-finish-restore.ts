import { proveRecoveryStop, readRecoveryLog } from '../core/recovery-stop';
import { replayEndOfPlan, replayProgressDetails, withSample, type ReplaySample } from '../core/replay-progress';
import { readRecoveryLogs, startPostgres, stopPostgres, waitForRecoveryEnd } from '../io/postgres-instance';
import { handOverTree } from '../io/tree-operations';
import { makeWorkArea, workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan, VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { reportProgress } from './progress';
import { finishRestore } from './finish-restore';

/**
 * The last step, verify then finish: starts PostgreSQL privately on the result, waits for replay to end, proves
 * from this start's log and the replay position that it ended where the plan says (src/core/recovery-stop.ts:
 * a pause for another reason is RecoveryStoppedShort), stops it again; then frees the work area and the
 * destination's claim (finishRestore). A retry after the finish starts over here and finds nothing left to free.
 */
export function verifyAndFinishRestoreActivity(deps: ActivityDeps) {
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
        // How far replay is from the plan's stop, from the polls that wait for its end (pitr status, the UI).
        const replayEnd = replayEndOfPlan(plan);
        let samples: ReplaySample[] = [];
        try {
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
            target: input.target,
            targetAction: input.targetAction ?? 'pause',
            plan,
            observed: {
              outcome: end.outcome,
              replayLsn: state?.replayLsn ?? null,
              lastReplayedCommit: state?.lastReplayedCommit ?? null,
              checkpointTimeline: state?.timeline ?? null,
            },
            thisRun: readRecoveryLog(logs.thisRun),
            earlier: readRecoveryLog(logs.earlier),
            dataDir: input.destination,
            logFile: layout.verifyLog,
          });
          result = {
            state: stop.state,
            lastReplayedCommit: state?.lastReplayedCommit ?? null,
            timeline: stop.promotedTo ?? stop.timeline,
            stoppedAt: { lsn: stop.lsn, timeline: stop.timeline, description: stop.description },
            overriddenSettings: instance.overriddenSettings,
          };
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
