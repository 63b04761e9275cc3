import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBarmanConfig } from '../io/barman';
import { chownTree } from '../io/destination';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput, RestorePlan } from '../shared';
import { barmanSetup, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { reportProgress } from './progress';

/**
 * Barman picks WAL for a time target by the files' mtimes, and archive lag makes LastModified cut
 * too early (research facts §3 step 4). An old fixed mtime makes barman copy every staged segment,
 * so the plan alone decides what is replayed.
 */
export const NEUTRAL_WAL_MTIME_SECONDS = 86_400;

/** WAL mtimes, Barman's configuration, and ownership by the Barman user: the Barman home ready for barman. */
export async function stageInBarmanHome(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan): Promise<{ walFiles: number }> {
  const layout = workDirLayout(plan.workDir);
  const walFiles = await neutraliseMtimes(join(layout.barmanHome, input.server, 'wals'));
  await writeBarmanConfig(barmanSetup(deps, layout, input.server));
  await chownTree(layout.root, deps.barmanUser);
  return { walFiles };
}

/** stageInBarmanHome as its own step, for restores started before stageAndRebuildXlogdb joined it to rebuild-xlogdb. */
export function stageInBarmanHomeActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ walFiles: number }> =>
    adaptFailures(async () => {
      const progress = reportProgress('Stage', deps.heartbeatIntervalMs);
      try {
        const staged = await stageInBarmanHome(deps, input, plan);
        progress.update({ filesDone: staged.walFiles, filesTotal: staged.walFiles });
        return staged;
      } finally {
        progress.stop();
      }
    });
}

async function neutraliseMtimes(dir: string): Promise<number> {
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      files += await neutraliseMtimes(path);
    } else if (entry.isFile()) {
      await utimes(path, NEUTRAL_WAL_MTIME_SECONDS, NEUTRAL_WAL_MTIME_SECONDS);
      files += 1;
    }
  }
  return files;
}
