import { rename, rm } from 'node:fs/promises';
import { isClaimed } from '../io/destination';
import { workDirLayout } from '../io/work-dir';
import type { RestoreInput } from '../shared';
import { restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';

export interface AbandonResult {
  destinationCleared: boolean;
  movedBack: string | null;
}

/**
 * After a cancelled restore: removes what the restore itself wrote into the destination (only when
 * it claimed an absent or empty directory, or moved the user's aside, which goes back), then the
 * staging area. Anything that was in the destination before is never deleted.
 */
export function abandonRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, movedAsideSuffix: string | null): Promise<AbandonResult> =>
    adaptFailures(async () => {
      const layout = workDirLayout(restoreWorkDir(deps, input).root);
      const claimed = await isClaimed(input.destination, layout.claimFile);
      let movedBack: string | null = null;
      if (claimed) {
        await rm(input.destination, { recursive: true, force: true, maxRetries: 5 });
        if (movedAsideSuffix) {
          const aside = `${input.destination}.${movedAsideSuffix}`;
          movedBack = await rename(aside, input.destination).then(
            () => aside,
            () => null,
          );
        }
      }
      await rm(layout.root, { recursive: true, force: true, maxRetries: 5 });
      return { destinationCleared: claimed, movedBack };
    });
}
