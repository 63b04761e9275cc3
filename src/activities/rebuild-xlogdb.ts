import { rebuildXlogdb } from '../io/barman';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan } from '../shared';
import { barmanSetup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

export function rebuildXlogdbActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ walFiles: number }> =>
    adaptFailures(async () => {
      const progress = reportProgress('RebuildXlogdb', deps.heartbeatIntervalMs);
      try {
        const counts = await rebuildXlogdb(barmanSetup(deps, workDirLayout(plan.workDir), input.server), plan.walSegments, progress.signal);
        return { walFiles: counts.walFiles };
      } finally {
        progress.stop();
      }
    });
}
