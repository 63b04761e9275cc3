// What the activities need from the host, injected by the worker (and by tests).
import { Context } from '@temporalio/activity';
import { join } from 'node:path';
import type { RestoreRun } from '../core/destination-claim';
import { detectBarman, type BarmanSetup } from '../io/barman';
import type { PlannerDeps } from '../io/wal-segments';
import { workDirLayout, workDirName, type WorkDirLayout } from '../io/work-dir';
import { findBackup, type CatalogedBackup } from '../io/backup-catalog';
import { FailureTypes, RestoreError, type RestoreInput, type RestorePlan } from '../shared';

export interface ActivityDeps extends PlannerDeps {
  /** Root of the per-restore work areas (Barman homes, downloads) on this host. */
  workRoot: string;
  /** Folders destinations must lie inside (PITR_DESTINATION_ROOTS); empty for anywhere but system directories. */
  destinationRoots: string[];
  /** The user barman drops to and PostgreSQL runs as; owns the restored data directory. */
  barmanUser: string;
  /** The barman executable restores run (PITR_BARMAN_BIN); its version decides what it is handed. */
  barmanBin: string;
  verify: { pollMs: number; timeoutMs: number };
  heartbeatIntervalMs: number;
}

export function restoreWorkDir(deps: Pick<ActivityDeps, 'workRoot'>, input: Pick<RestoreInput, 'server' | 'destination'>): WorkDirLayout {
  return workDirLayout(join(deps.workRoot, 'restores', workDirName(input.server, input.destination)));
}

/** The restore run this activity works for: its claims and locks name it. */
export function currentRun(): RestoreRun {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('restore steps run only inside a restore workflow');
  return { restoreId: execution.workflowId, runId: execution.runId };
}

export async function barmanSetup(deps: ActivityDeps, layout: WorkDirLayout, server: string): Promise<BarmanSetup> {
  return {
    barmanBin: deps.barmanBin,
    capabilities: await detectBarman(deps.barmanBin),
    configFile: layout.barmanConfig,
    barmanHome: layout.barmanHome,
    logFile: layout.barmanLog,
    barmanUser: deps.barmanUser,
    server,
  };
}

/** The backup the plan chose, as it is in the bucket now: it must still be there for the later steps. */
export async function plannedBackup(deps: ActivityDeps, input: RestoreInput, plan: RestorePlan): Promise<CatalogedBackup> {
  const backup = await findBackup(deps.s3, input.bucket, input.prefix, input.server, plan.backupId);
  if (!backup) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${plan.backupId} disappeared from s3://${input.bucket} after planning; was it deleted by a retention policy?`);
  }
  return backup;
}
