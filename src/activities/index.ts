import { abandonRestoreActivity } from './abandon-restore';
import type { ActivityDeps } from './deps';
import { extractBaseBackupActivity } from './extract-base-backup';
import { planRestoreActivity } from './plan-restore';
import { rebuildXlogdbActivity } from './rebuild-xlogdb';
import { recoverWithBarmanActivity } from './recover-with-barman';
import { releaseWorkDirActivity } from './release-work-dir';
import { stageInBarmanHomeActivity } from './stage-in-barman-home';
import { syncBaseBackupActivity } from './sync-base-backup';
import { syncWalRangeActivity } from './sync-wal-range';
import { verifyRecoveredClusterActivity } from './verify-recovered-cluster';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    planRestore: planRestoreActivity(deps),
    syncBaseBackup: syncBaseBackupActivity(deps),
    extractBaseBackup: extractBaseBackupActivity(deps),
    syncWalRange: syncWalRangeActivity(deps),
    stageInBarmanHome: stageInBarmanHomeActivity(deps),
    rebuildXlogdb: rebuildXlogdbActivity(deps),
    recoverWithBarman: recoverWithBarmanActivity(deps),
    verifyRecoveredCluster: verifyRecoveredClusterActivity(deps),
    releaseWorkDir: releaseWorkDirActivity(),
    abandonRestore: abandonRestoreActivity(deps),
  };
}

export type RestoreActivities = ReturnType<typeof createActivities>;
