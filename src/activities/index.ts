import { abandonRestoreActivity, releaseDestinationActivity } from './abandon-restore';
import type { ActivityDeps } from './deps';
import { extractBaseBackupActivity } from './extract-base-backup';
import { planRestoreActivity } from './plan-restore';
import { rebuildXlogdbActivity, stageAndRebuildXlogdbActivity } from './rebuild-xlogdb';
import { recoverWithBarmanActivity } from './recover-with-barman';
import { releaseWorkDirActivity } from './release-work-dir';
import { stageInBarmanHomeActivity } from './stage-in-barman-home';
import { syncAndExtractBaseBackupActivity } from './sync-and-extract-base-backup';
import { syncBaseBackupActivity } from './sync-base-backup';
import { syncWalRangeActivity } from './sync-wal-range';
import { verifyRecoveredClusterActivity } from './verify-recovered-cluster';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    planRestore: planRestoreActivity(deps),
    syncAndExtractBaseBackup: syncAndExtractBaseBackupActivity(deps),
    syncWalRange: syncWalRangeActivity(deps),
    stageAndRebuildXlogdb: stageAndRebuildXlogdbActivity(deps),
    recoverWithBarman: recoverWithBarmanActivity(deps),
    verifyRecoveredCluster: verifyRecoveredClusterActivity(deps),
    abandonRestore: abandonRestoreActivity(deps),
    releaseDestination: releaseDestinationActivity(deps),
    // The steps of restores started before the 'fused-steps' patch (see the workflow): kept registered
    // so that such restores, resumed on this worker, can finish.
    syncBaseBackup: syncBaseBackupActivity(deps),
    extractBaseBackup: extractBaseBackupActivity(deps),
    stageInBarmanHome: stageInBarmanHomeActivity(deps),
    rebuildXlogdb: rebuildXlogdbActivity(deps),
    releaseWorkDir: releaseWorkDirActivity(),
  };
}

export type RestoreActivities = ReturnType<typeof createActivities>;
