// The steps of a held restore (pitr restore --hold; src/workflows/hold.ts): verify that leaves PostgreSQL running
// paused at the target, the plan and the replay of an advance to a later target, and the finish that promotes or
// stops it and frees the work area. The server is detached from the worker: it outlives a worker restart, and
// each step finds it again from its data directory (or starts it there when the host restarted).
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopRefusal } from '../core/held-restore';
import type { RecoveryTarget } from '../core/recovery-target';
import { prepareAdvance, putConfigInPlace, putWalInPlace, type HeldDestination } from '../io/held-destination';
import { findOwnPostmaster, promotePostgres, startPostgres, stopLeftoverPostmaster, stopPostgres, waitForRecoveryEnd } from '../io/postgres-instance';
import { plannedWal, planRestore } from '../io/restore-planner';
import { runCommand } from '../io/run-command';
import { handOverTree, removeTree } from '../io/tree-operations';
import { listWalArchive } from '../io/wal-archive';
import { localWalPath } from '../io/wal-segments';
import { makeWorkArea, reclaimWorkArea, workDirLayout, type WorkDirLayout } from '../io/work-dir';
import { FailureTypes, RestoreError, type AdvanceResult, type FinishMode, type RestoreInput, type RestorePlan, type VerifyResult } from '../shared';
import type { ActivityDeps } from './deps';
import { adaptFailures } from './failures';
import { fencedStep, withAttemptFence } from './attempt-fence';
import { finishRestore } from './finish-restore';
import { plannerRequest } from './plan-restore';
import { withProgress } from './progress';
import { heldServer, replayToTarget } from './replay-to-target';

/** Where replay stopped and how the held server is reached: what an advance records of it too. */
export type HeldReplay = Pick<AdvanceResult, 'verify' | 'server'>;

/** Verify for --hold: proves replay stopped at the target, and leaves PostgreSQL running there. */
export function verifyAndHoldActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<HeldReplay> =>
    fencedStep(deps, input, 'Verify', async (progress) => {
      const layout = workDirLayout(plan.workDir);
      const { instance, verify } = await replayToTarget(deps, { target: input.target, targetAction: 'pause', plan, dataDir: input.destination, layout, progress });
      return { verify, server: heldServer(instance) };
    });
}

/**
 * How often keepHeld looks at the server and heartbeats: a decision cancels it, and the cancel arrives with a
 * heartbeat, so this is about how long a decision waits before it starts.
 */
const KEEP_HELD_CHECK_MS = 1_000;

/** How long one keepHeld runs before it returns "still held" and the workflow starts the next: a few events a day. */
export const KEEP_HELD_ROUND_MS = 6 * 60 * 60 * 1000;

/**
 * Keeps a held restore's PostgreSQL there while the restore waits for a decision: checks every few seconds that the
 * server started for it still runs on the data directory (found again after a worker restart: the retried activity
 * polls the same server), and when it does not (the host restarted, someone stopped it) starts it again from the
 * directory and proves its stop again. Returns the server when it changed, or null after a round with nothing to
 * report; a decision cancels it (heartbeats carry the cancel) and it returns without touching the server.
 */
export function keepHeldActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan, held: HeldReplay): Promise<HeldReplay | null> =>
    adaptFailures(async () => {
      const layout = workDirLayout(plan.workDir);
      const server = { pgBinDir: deps.pgBinDir(plan.pgVersion), dataDir: input.destination, user: deps.barmanUser, logFile: layout.verifyLog };
      const roundEnds = Date.now() + KEEP_HELD_ROUND_MS;
      return withProgress('Held', KEEP_HELD_CHECK_MS, undefined, async (progress) => {
        while (Date.now() < roundEnds && !progress.signal.aborted) {
          const running = await findOwnPostmaster(server);
          if (!running) {
            progress.update({ current: `PostgreSQL no longer runs on ${input.destination}: starting it again from the directory` });
            const replayed = await withAttemptFence(deps, input, (lost) =>
              replayToTarget(deps, { target: input.target, targetAction: 'pause', plan, dataDir: input.destination, layout, progress: { ...progress, signal: AbortSignal.any([progress.signal, lost]) } }),
            );
            return { verify: replayed.verify, server: heldServer(replayed.instance) };
          }
          if (running.port !== held.server.port || running.socketDir !== held.server.socketDir) return { verify: held.verify, server: heldServer(running) };
          progress.update({ current: `PostgreSQL paused at ${held.verify.stoppedAt.description} on port ${running.port}` });
          await sleep(KEEP_HELD_CHECK_MS, undefined, { signal: progress.signal }).catch(() => undefined);
        }
        return null;
      });
    });
}

/**
 * The plan of an advance: the held restore's backup and timeline, the new target. Refused (NotAdvanceable, nothing
 * changed) when the target lies before where replay stopped or on another timeline: replay cannot go back.
 */
export function planAdvanceActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, held: RestorePlan, target: RecoveryTarget): Promise<RestorePlan> =>
    adaptFailures(() =>
      withAttemptFence(deps, input, async (lost) => {
        const layout = workDirLayout(held.workDir);
        await reclaimWorkArea(layout);
        return withProgress('Advance', deps.heartbeatIntervalMs, lost, async (progress) => {
          try {
            const { plan } = await planRestore(deps, { ...(await plannerRequest(deps, input, layout, progress)), target, backupId: held.backupId, targetTimeline: held.targetTimeline });
            const refusal = stopRefusal(held, plan, target);
            if (refusal) throw new RestoreError(FailureTypes.NotAdvanceable, refusal);
            return { ...plan, ...(held.tablespaces ? { tablespaces: held.tablespaces } : {}), workDir: held.workDir };
          } finally {
            await handOverTree(layout.root, deps.barmanUser);
          }
        });
      }),
    );
}

/**
 * Moves a held restore to the target of `input` (planned by planAdvance, its WAL fetched by syncWalRange): the WAL
 * the destination lacks goes into its barman_wal, PostgreSQL stops, the recovery target in postgresql.auto.conf
 * moves, and PostgreSQL starts again: replay goes on from its last restartpoint (no base backup, no Barman), and
 * where it stops is proved as verify does. Every part is redone the same way on a retry.
 */
export function advanceHeldRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan): Promise<HeldReplay> =>
    fencedStep(deps, input, 'Advance', async (progress) => {
      const layout = workDirLayout(plan.workDir);
      await reclaimWorkArea(layout, progress.signal);
      const archive = await listWalArchive(deps.s3, input.bucket, input.prefix, input.server, progress.signal);
      const files = plannedWal(archive, plan).map((wal) => ({ name: wal.name, localPath: localWalPath(layout, input.server, wal) }));
      const held = heldDestination(deps, input, layout);
      progress.update({ current: `preparing the WAL ${input.destination}/barman_wal lacks and the new recovery target` });
      const prepared = await prepareAdvance(held, files, input.target, plan.segmentSize, progress.signal);
      progress.update({ current: `moving ${prepared.walFiles.length} WAL files into ${input.destination}/barman_wal` });
      await putWalInPlace(held, prepared.walFiles, progress.signal);
      await stopLeftoverPostmaster({ pgBinDir: deps.pgBinDir(plan.pgVersion), dataDir: input.destination, user: deps.barmanUser });
      await putConfigInPlace(held, prepared.config, progress.signal);
      await removeTree(held.scratch, progress.signal);
      const { instance, verify } = await replayToTarget(deps, { target: input.target, targetAction: 'pause', plan, dataDir: input.destination, layout, progress });
      return { verify, server: heldServer(instance) };
    });
}

/**
 * Ends a held restore: promotes its PostgreSQL (a new timeline) or stops it, paused at the target as a plain restore
 * leaves it, then frees the work area and the destination's claim. A server no longer running (the host restarted)
 * is started again from the directory first; one a cut-off earlier attempt already promoted is not promoted twice.
 */
export function finishHeldRestoreActivity(deps: ActivityDeps) {
  return async (input: RestoreInput, plan: RestorePlan, held: VerifyResult, mode: FinishMode): Promise<VerifyResult> =>
    adaptFailures(() =>
      withAttemptFence(deps, input, async (lost) => {
        const layout = workDirLayout(plan.workDir);
        if (await makeWorkArea(layout)) await handOverTree(layout.root, deps.barmanUser);
        const server = { pgBinDir: deps.pgBinDir(plan.pgVersion), dataDir: input.destination, user: deps.barmanUser };
        return withProgress('Finish', deps.heartbeatIntervalMs, lost, async (progress) => {
          let verify = held;
          if (mode === 'promote') {
            progress.update({ current: `promoting PostgreSQL on ${input.destination}` });
            const instance = (await findOwnPostmaster({ ...server, logFile: layout.verifyLog })) ?? (await startPostgres({ ...server, logFile: layout.verifyLog, signal: progress.signal }));
            try {
              const end = await waitForRecoveryEnd(instance, { ...deps.verify, signal: progress.signal });
              if (end.outcome === 'exited') throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL on ${input.destination} stopped before it could be promoted; see ${layout.verifyLog}`);
              if (end.outcome === 'paused') await promotePostgres(instance, progress.signal);
            } finally {
              await stopPostgres(instance);
            }
            verify = { ...held, state: 'promoted', timeline: await checkpointTimeline(server.pgBinDir, input.destination, deps.barmanUser) };
          } else {
            progress.update({ current: `stopping PostgreSQL on ${input.destination}, paused at the target` });
            await stopLeftoverPostmaster(server);
          }
          progress.update({ current: `freeing the work area ${plan.workDir}` });
          await finishRestore(deps, input, plan, progress.signal);
          return verify;
        });
      }),
    );
}

function heldDestination(deps: ActivityDeps, input: RestoreInput, layout: WorkDirLayout): HeldDestination {
  return { destination: input.destination, user: deps.barmanUser, workRoot: layout.root, scratch: join(layout.root, 'advance') };
}

/** The timeline of the stopped cluster's last checkpoint (pg_controldata): after a promotion and a clean stop, the new one. */
async function checkpointTimeline(pgBinDir: string, dataDir: string, user: string): Promise<number> {
  const { stdout } = await runCommand(join(pgBinDir, 'pg_controldata'), ['-D', dataDir], { asUser: user, env: { LC_ALL: 'C' } });
  const timeline = Number(/^Latest checkpoint's TimeLineID:\s+(\d+)$/m.exec(stdout)?.[1]);
  if (!Number.isInteger(timeline)) throw new Error(`pg_controldata -D ${dataDir} shows no "Latest checkpoint's TimeLineID"`);
  return timeline;
}
