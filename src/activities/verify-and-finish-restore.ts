import { stopPostgres } from '../io/postgres-instance';
import { handOverTree } from '../io/tree-operations';
import { makeWorkArea, workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan, VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { withProgress } from './progress';
import { finishRestore } from './finish-restore';
import { replayToTarget } from './replay-to-target';

/**
 * The last step, verify then finish: starts PostgreSQL privately on the result and proves replay stopped where the
 * plan says (replayToTarget), stops it again; then frees the work area and the destination's claim (finishRestore).
 * A retry after the finish starts over here and finds nothing left to free.
 */
export function verifyAndFinishRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<VerifyResult> =>
    adaptFailures(async () => {
      return withAttemptFence(deps, input, async (lost) => {
        const layout = workDirLayout(plan.workDir);
        // The work area is gone when a retry follows a release whose completion never reached the server;
        // PostgreSQL writes its log there.
        if (await makeWorkArea(layout)) await handOverTree(layout.root, deps.barmanUser);
        const verify = await withProgress('Verify', deps.heartbeatIntervalMs, lost, async (progress) => {
          const replayed = await replayToTarget(deps, { target: input.target, targetAction: input.targetAction ?? 'pause', plan, dataDir: input.destination, layout, progress });
          await stopPostgres(replayed.instance);
          return replayed.verify;
        });
        // Verified: finish the restore. Removing hundreds of gigabytes outlasts a heartbeat timeout, so beat while it runs.
        await withProgress('Verify', deps.heartbeatIntervalMs, undefined, async (finishing) => {
          finishing.update({ current: `verified; freeing the work area ${plan.workDir}` });
          await finishRestore(deps, input, plan, finishing.signal);
        });
        return verify;
      });
    });
}
