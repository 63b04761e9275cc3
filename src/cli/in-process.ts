// The CLI's in-process work on the archive (`pitr plan`, `pitr backups`): the planner's dependencies from this
// host's settings, as the worker builds them (settings.ts planningSettings), and Ctrl-C handling.
import { classifyS3Error, createS3Client } from '../io/s3-client';
import type { PlannerDeps } from '../io/wal-segments';
import { planningSettings, type WorkerSettings } from '../settings';

/** The planner's dependencies in this process, from the same settings the worker reads. */
export function localPlannerDeps(settings: WorkerSettings): PlannerDeps {
  return { s3: createS3Client(), ...planningSettings(settings) };
}

/** Runs `body` with a signal that Ctrl-C aborts, so that scratch space is removed on the way out; S3 errors explained. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } catch (err) {
    // S3 errors carry request details no terminal needs: say what failed and what to check instead.
    if ((err as { $metadata?: unknown })?.$metadata !== undefined) throw new Error(classifyS3Error(err).message);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

