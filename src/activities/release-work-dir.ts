import { rm } from 'node:fs/promises';
import type { RestorePlan } from '../shared';
import { adaptFailures } from './failures';

/** After a verified restore the staged backup and WAL are no longer needed: free the disk. */
export async function releaseWorkDir(plan: RestorePlan): Promise<void> {
  await rm(plan.workDir, { recursive: true, force: true, maxRetries: 5 });
}

/** releaseWorkDir as its own step, for restores started before verify did it (see verifyRecoveredCluster). */
export function releaseWorkDirActivity() {
  return async (plan: RestorePlan): Promise<void> => adaptFailures(() => releaseWorkDir(plan));
}
