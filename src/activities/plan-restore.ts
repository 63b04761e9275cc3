import { assertShellSafeDestination } from '../core/destination-name';
import { validateRestoreInput } from '../core/restore-input';
import { placeTablespaces } from '../core/tablespace-locations';
import { describeShortage } from '../core/restore-space';
import { assessSpace } from '../io/restore-dry-run';
import { inspectDestination } from '../io/destination';
import { destinationControl, lockDestination } from '../io/destination-control';
import { assertTablespaceSpace, inspectTablespaceLocations, lockTablespaceLocations, tablespaceSpace } from '../io/tablespace-destinations';
import { pathExists } from '../io/path-exists';
import { openJournal } from '../io/download-journal';
import { localCopies } from '../io/local-copies';
import { planRestore, type PlanRequest } from '../io/restore-planner';
import { assertBarmanTools, detectBarman } from '../io/barman';
import { makeWorkArea, reclaimWorkArea, type WorkDirLayout } from '../io/work-dir';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan } from '../shared';
import { linkableObjects } from './base-backup-targets';
import { currentRun, restoreWorkDir, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { withAttemptFence } from './attempt-fence';
import { withProgress, type ProgressReporter } from './progress';

export function planRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput): Promise<RestorePlan> => {
    return adaptFailures(async () => {
      // Scripts and other SDKs start restores without the CLI: the input is checked first, before anything acts on it.
      validateRestoreInput(input);
      assertShellSafeDestination(input.destination);
      const layout = restoreWorkDir(deps, input);
      await inspectDestination(input.destination, { workRoot: deps.workRoot, force: input.force, roots: deps.destinationRoots });
      // Tools later steps need, checked before hours of transfer rather than after (the PostgreSQL
      // binaries of the backup's major are checked when the planner first reads its WAL).
      assertBarmanTools(await detectBarman(deps.barmanBin));
      await lockDestination(destinationControl(deps.workRoot, input.destination), input.destination, currentRun().restoreId);
      await makeWorkArea(layout);
      return withAttemptFence(deps, input, async (lost) => {
        await reclaimWorkArea(layout);
        return withProgress('Plan', deps.heartbeatIntervalMs, lost, async (progress) => {
          const { target, backupId, targetTimeline } = input;
          const { plan, backup } = await planRestore(deps, { ...(await plannerRequest(deps, input, layout, progress)), target, backupId, targetTimeline });
          // Tablespaces go where the user chose or beside the destination, never silently to the folders backup.info
          // records (on this host those may be a live cluster's); each location is checked and locked as a destination.
          const tablespaces = placeTablespaces(plan.backupId, backup.info.tablespaces, input.tablespaces, input.destination);
          await inspectTablespaceLocations(tablespaces, { workRoot: deps.workRoot, force: input.force, roots: deps.destinationRoots });
          await lockTablespaceLocations(deps.workRoot, destinationControl(deps.workRoot, input.destination), tablespaces, currentRun().restoreId);
          // Only before this restore has put anything on disk: a resumed one already holds part of what it needs.
          if (!input.force && !(await pathExists(layout.downloads))) {
            const linked = await linkableObjects(deps.barmanUser, layout, input.server, plan.backupId, backup.objects);
            const { space } = await assessSpace(deps, input.bucket, backup, plan, { destination: input.destination, barmanHome: deps.workRoot, linked }, progress.signal);
            if (!space.enough) throw new RestoreError(FailureTypes.InsufficientSpace, describeShortage(space));
            assertTablespaceSpace(await tablespaceSpace(deps.s3, input.bucket, backup, tablespaces, input.destination, progress.signal));
          }
          return { ...plan, ...(tablespaces.length > 0 ? { tablespaces } : {}), workDir: layout.root };
        });
      });
    });
  };
}

/**
 * What the planner is asked for every plan of a restore (the plan step, an advance's): where, with which journal,
 * reporting how; the WAL it reads is copied from another restore of the server on this host when one holds it.
 * The WAL step downloads the planned WAL with the same request.
 */
export async function plannerRequest(deps: ActivityDeps, input: Pick<RestoreInput, 'server' | 'bucket' | 'prefix'>, layout: WorkDirLayout, progress: ProgressReporter): Promise<Omit<PlanRequest, 'target'>> {
  return {
    localCopies: localCopies({ ownRoot: layout.root, server: input.server, barmanUser: deps.barmanUser }),
    server: input.server,
    bucket: input.bucket,
    prefix: input.prefix,
    layout,
    journal: await openJournal(layout.journal),
    signal: progress.signal,
    onProgress: (current: string, filesDone: number) => progress.update({ current, filesDone }),
  };
}
