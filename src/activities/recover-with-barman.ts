import { constants } from 'node:fs';
import { chmod, open } from 'node:fs/promises';
import { join } from 'node:path';
import { recover } from '../io/barman';
import { stopLeftoverCommands } from '../io/leftover-commands';
import { claimDestination } from '../io/destination';
import { destinationControl } from '../io/destination-control';
import { workDirLayout } from '../io/work-dir';
import { barmanTargetArgs } from '../core/recovery-target';
import { barmanTablespaceArgs } from '../core/tablespace-locations';
import { claimTablespaceLocations } from '../io/tablespace-destinations';
import { movedAsideSuffix, type RestoreInput, type RestorePlan } from '../shared';
import { barmanSetup, currentRun, type ActivityDeps } from './deps';
import { fencedStep } from './attempt-fence';

/**
 * A restored copy must never archive into the source's bucket: barman only sets
 * archive_command = false, which leaves archive_mode on and WAL piling up after promotion.
 */
const SAFETY_SETTINGS = "\n# added by pitr: this is a restored copy; it must not archive into the source's WAL archive\narchive_mode = 'off'\n";

export function recoverWithBarmanActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<{ movedAside: string | null; tablespacesMovedAside?: string[] }> =>
    fencedStep(deps, input, 'Recover', async (progress) => {
      const layout = workDirLayout(plan.workDir);
      // A worker killed during an earlier attempt left its barman (and rsync) running: they would write beside this one.
      await stopLeftoverCommands(layout.barmanConfig);
      // The destination, then each tablespace location, is taken the same way: Barman then writes into directories this run made.
      const claim = {
        run: currentRun(),
        signal: progress.signal,
        owner: deps.barmanUser,
        force: input.force,
        workRoot: deps.workRoot,
        roots: deps.destinationRoots,
        movedAsideSuffix: movedAsideSuffix(plan.backupId),
      };
      const movedAside = await claimDestination(input.destination, { ...claim, control: destinationControl(deps.workRoot, input.destination) });
      const tablespacesMovedAside = await claimTablespaceLocations(deps.workRoot, plan.tablespaces ?? [], claim);
      await recover(
        await barmanSetup(deps, layout, input.server),
        {
          backupId: plan.backupId,
          destination: input.destination,
          targetArgs: barmanTargetArgs(input.target),
          // Always the number the plan resolved: a history file archived since cannot change the path under way.
          targetTimeline: plan.targetTimeline,
          targetAction: input.targetAction,
          tablespaceArgs: barmanTablespaceArgs(plan.tablespaces ?? []),
        },
        progress.signal,
      );
      await appendSafetySettings(input.destination);
      // Barman copies the source's data directory mode (0750 is common): PostgreSQL wants 0700 or 0750, privacy 0700.
      await chmod(input.destination, 0o700);
      return { movedAside, ...(tablespacesMovedAside.length > 0 ? { tablespacesMovedAside } : {}) };
    });
}

/**
 * The destination belongs to the Barman user now, who could have put a link at postgresql.auto.conf:
 * O_NOFOLLOW refuses one instead of appending through it to a file of root's choosing.
 */
async function appendSafetySettings(destination: string): Promise<void> {
  const file = await open(join(destination, 'postgresql.auto.conf'), constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  try {
    await file.appendFile(SAFETY_SETTINGS);
  } finally {
    await file.close();
  }
}
