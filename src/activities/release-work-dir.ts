import { releaseDestination } from '../io/destination-control';
import { removeTree } from '../io/tree-operations';
import type { RestoreInput, RestorePlan } from '../shared';
import { currentRun, destinationControlOf, type ActivityDeps } from './deps';
import { adaptFailures } from './failures';

/**
 * After a verified restore the staged backup and WAL are no longer needed: free the disk. The Barman user
 * owns parts of the area, so it goes through removeTree (never following a link it could have planted).
 */
export async function releaseWorkDir(plan: RestorePlan, signal?: AbortSignal): Promise<void> {
  await removeTree(plan.workDir, signal);
}

/** The restore is done: its work area, and its lock and claim on the destination, go. */
export async function finishRestore(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan, signal?: AbortSignal): Promise<void> {
  await releaseWorkDir(plan, signal);
  await releaseDestination(destinationControlOf(deps, input.destination), currentRun().restoreId);
}

/** releaseWorkDir as its own step, for restores started before verify did it (see verifyRecoveredCluster). */
export function releaseWorkDirActivity() {
  return async (plan: RestorePlan): Promise<void> => adaptFailures(() => releaseWorkDir(plan));
}
