import { destinationControl, releaseDestination } from '../io/destination-control';
import { releaseTablespaceLocations } from '../io/tablespace-destinations';
import { removeTree } from '../io/tree-operations';
import type { RestoreInput, RestorePlan } from '../shared';
import { currentRun, type ActivityDeps } from './deps';

/**
 * The restore is verified, so it is done (the end of verifyAndFinishRestore): the staged backup and WAL are no
 * longer needed and their disk is freed, then the run's locks and claims on the destination and its tablespaces' locations go. The Barman user
 * owns parts of the work area, so it goes through removeTree (never following a link it could have planted).
 */
export async function finishRestore(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan, signal?: AbortSignal): Promise<void> {
  await removeTree(plan.workDir, signal);
  const control = destinationControl(deps.workRoot, input.destination);
  await releaseTablespaceLocations(deps.workRoot, control, currentRun().restoreId);
  await releaseDestination(control, currentRun().restoreId);
}
