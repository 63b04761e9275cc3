import { abandonDestination, type AbandonedDestination } from '../io/abandon-destination';
import { destinationControl, releaseDestination } from '../io/destination-control';
import { stopLeftoverPostmaster } from '../io/postgres-instance';
import { removeTree } from '../io/tree-operations';
import { abandonTablespaceLocations, releaseTablespaceLocations, type TablespaceLocation } from '../io/tablespace-destinations';
import type { RestoreInput } from '../shared';
import { currentRun, restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { fencedStep } from './attempt-fence';

export type AbandonResult = AbandonedDestination & {
  /** Each tablespace location the restore had, undone the same way (absent when it had none). */
  tablespaces?: (AbandonedDestination & TablespaceLocation)[];
};

/**
 * After a cancelled restore: removes what this run wrote into the destination and puts back what --force
 * had moved aside (see io/abandon-destination for the order that makes a retry harmless), then the work
 * area and the destination's lock. Anything that was in the destination before is never deleted. It
 * heartbeats throughout: removing hundreds of gigabytes takes longer than a heartbeat timeout. With the plan's
 * PostgreSQL major (known once planned), a server this restore left running (verify cut off, a held restore)
 * is stopped first.
 */
export function abandonRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, pgVersion?: number): Promise<AbandonResult> =>
    fencedStep(deps, input, 'Cancel', async (progress) => {
      const run = currentRun();
      const control = destinationControl(deps.workRoot, input.destination);
      if (pgVersion !== undefined) {
        progress.update({ current: `stopping the PostgreSQL this restore started on ${input.destination}` });
        await stopLeftoverPostmaster({ pgBinDir: deps.pgBinDir(pgVersion), dataDir: input.destination, user: deps.barmanUser });
      }
      progress.update({ current: `removing what the restore wrote into ${input.destination}` });
      const result = await abandonDestination(input.destination, control, run, progress.signal);
      progress.update({ current: "removing what the restore wrote into its tablespaces' locations" });
      const tablespaces = await abandonTablespaceLocations(deps.workRoot, control, run, progress.signal);
      progress.update({ current: 'removing the work area' });
      await removeTree(restoreWorkDir(deps, input).root, progress.signal);
      await releaseTablespaceLocations(deps.workRoot, control, run.restoreId);
      await releaseDestination(control, run.restoreId);
      return { ...result, ...(tablespaces.length > 0 ? { tablespaces } : {}) };
    });
}

/** After a failed restore: the run has ended, so its claim on the destination and its lock go (the work area stays for a resume). */
export function releaseDestinationActivity(deps: ActivityDeps) {
  return async (input: RestoreInput): Promise<void> =>
    adaptFailures(async () => {
      const control = destinationControl(deps.workRoot, input.destination);
      await releaseTablespaceLocations(deps.workRoot, control, currentRun().restoreId);
      await releaseDestination(control, currentRun().restoreId);
    });
}
