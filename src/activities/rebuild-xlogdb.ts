import { rebuildXlogdb } from '../io/barman';
import { stopLeftoverCommands } from '../io/leftover-commands';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan } from '../shared';
import { barmanSetup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { reportProgress, type ProgressReporter } from './progress';
import { stageInBarmanHome } from './stage-in-barman-home';

/** barman rebuild-xlogdb, checked: it must register every planned segment. */
async function registerWal(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan, progress: ProgressReporter): Promise<{ walFiles: number }> {
  const counts = await rebuildXlogdb(await barmanSetup(deps, workDirLayout(plan.workDir), input.server), plan.walSegments, progress.signal);
  return { walFiles: counts.walFiles };
}

/** Stages the Barman home and has barman register its WAL: one step, both quick and both redone on retry. */
export function stageAndRebuildXlogdbActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ walFiles: number }> =>
    adaptFailures(async () => {
      return withAttemptFence(deps, input, async (lost) => {
        const progress = reportProgress('Stage', deps.heartbeatIntervalMs, lost);
        try {
          // A worker killed during an earlier attempt left its barman rebuild-xlogdb running: it would write beside this one.
          await stopLeftoverCommands(workDirLayout(plan.workDir).barmanConfig);
          await stageInBarmanHome(deps, input, plan, progress.signal);
          return await registerWal(deps, input, plan, progress);
        } finally {
          progress.stop();
        }
      });
    });
}
