import { abandonRestoreActivity, releaseDestinationActivity } from './abandon-restore';
import type { ActivityDeps } from './deps';
import { describeArchiveActivity } from './describe-archive';
import { advanceHeldRestoreActivity, finishHeldRestoreActivity, keepHeldActivity, planAdvanceActivity, verifyAndHoldActivity } from './held-restore';
import { planRestoreActivity } from './plan-restore';
import { previewRestoreActivity } from './preview-restore';
import { recoverWithBarmanActivity } from './recover-with-barman';
import { stageAndRebuildXlogdbActivity } from './stage-in-barman-home';
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
    // A held restore (--hold): src/workflows/hold.ts.
    verifyAndHold: verifyAndHoldActivity(deps),
    keepHeld: keepHeldActivity(deps),
    planAdvance: planAdvanceActivity(deps),
    advanceHeldRestore: advanceHeldRestoreActivity(deps),
    finishHeldRestore: finishHeldRestoreActivity(deps),
    abandonRestore: abandonRestoreActivity(deps),
    releaseDestination: releaseDestinationActivity(deps),
    // The read-only queries of `pitr plan` and `pitr backups` (workflows/archive-queries.ts).
    previewRestore: previewRestoreActivity(deps),
    describeArchive: describeArchiveActivity(deps),
  };
}

type AllActivities = ReturnType<typeof createActivities>;
/** The activities of `pitr plan` and `pitr backups` (workflows/archive-queries.ts). */
export type ArchiveQueryActivities = Pick<AllActivities, 'previewRestore' | 'describeArchive'>;
/** The steps of a restore (workflows/restore.ts). */
export type RestoreActivities = Omit<AllActivities, keyof ArchiveQueryActivities>;
