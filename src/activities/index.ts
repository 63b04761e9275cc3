import { abandonRestoreActivity, releaseDestinationActivity } from './abandon-restore';
import type { ActivityDeps } from './deps';
import { planRestoreActivity } from './plan-restore';
import { stageAndRebuildXlogdbActivity } from './rebuild-xlogdb';
import { recoverWithBarmanActivity } from './recover-with-barman';
import { syncAndExtractBaseBackupActivity } from './sync-and-extract-base-backup';
import { syncWalRangeActivity } from './sync-wal-range';
import { verifyAndFinishRestoreActivity } from './verify-and-finish-restore';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    planRestore: planRestoreActivity(deps),
    syncAndExtractBaseBackup: syncAndExtractBaseBackupActivity(deps),
    syncWalRange: syncWalRangeActivity(deps),
    stageAndRebuildXlogdb: stageAndRebuildXlogdbActivity(deps),
    recoverWithBarman: recoverWithBarmanActivity(deps),
    verifyAndFinishRestore: verifyAndFinishRestoreActivity(deps),
    abandonRestore: abandonRestoreActivity(deps),
    releaseDestination: releaseDestinationActivity(deps),
  };
}

export type RestoreActivities = ReturnType<typeof createActivities>;
