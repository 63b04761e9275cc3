// One attempt at a time writes in a restore's work area. After a heartbeat timeout Temporal schedules a
// retry while the earlier attempt may still run (a worker cut off from the server keeps going), and both
// would write the same `.part` and `.extracting` files. The fence is a lease file naming the attempt that
// holds it: the holder renews it while it works and gives it up when it stops; a newcomer waits (a
// retryable failure) while the lease is fresh, and takes it over once the holder is gone (its process has
// exited) or has not renewed it within the lease. A holder that finds the lease taken stops writing.
// Node has no flock(2); a lease also covers a holder on a frozen, not dead, process.
import { hostname } from 'node:os';
import { lstat, readFile, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makePrivateDirectory, writeRecord } from './destination-control';
import { processAlive } from './processes';

export interface AttemptIdentity {
  restoreId: string;
  runId: string;
  /** The step (activity type) and its attempt number. */
  step: string;
  attempt: number;
  pid: number;
  host: string;
}

/** Another attempt still holds the fence: a retryable failure, so Temporal tries again after its backoff. */
export class AttemptFencedError extends Error {
  constructor(holder: AttemptIdentity, ageMs: number, leaseMs: number) {
    super(
      `attempt ${holder.attempt} of ${holder.step} (process ${holder.pid} on ${holder.host}) still works on this restore ` +
        `(lease renewed ${Math.round(ageMs / 1000)} s ago, expires after ${Math.round(leaseMs / 1000)} s): this attempt waits for it to stop, ` +
        'so that two never write the same files',
    );
    this.name = 'AttemptFencedError';
  }
}

export interface Fence {
  /** Renews the lease; false when another attempt has taken it (then stop writing). */
  renew(): Promise<boolean>;
  /** Gives the lease up, if it is still this attempt's. */
  release(): Promise<void>;
}

export function attemptIdentity(fields: Omit<AttemptIdentity, 'pid' | 'host'>): AttemptIdentity {
  return { ...fields, pid: process.pid, host: hostname() };
}

export async function acquireFence(file: string, me: AttemptIdentity, leaseMs: number): Promise<Fence> {
  await makePrivateDirectory(dirname(file));
  const text = `${JSON.stringify(me)}\n`;
  if (!(await createExclusive(file, text))) {
    const holder = await readHolder(file);
    if (holder && !sameAttempt(holder.identity, me) && !isStale(holder.identity, holder.ageMs, leaseMs)) {
      throw new AttemptFencedError(holder.identity, holder.ageMs, leaseMs);
    }
    // Stale, damaged, or our own: replace it in one rename, then check we are the one who won.
    await writeRecord(file, text);
    const now = await readHolder(file);
    if (!now || !sameAttempt(now.identity, me)) throw new AttemptFencedError(now?.identity ?? me, now?.ageMs ?? 0, leaseMs);
  }
  return {
    async renew() {
      const holder = await readHolder(file);
      if (!holder || !sameAttempt(holder.identity, me)) return false;
      const now = new Date();
      await utimes(file, now, now);
      return true;
    },
    async release() {
      const holder = await readHolder(file);
      if (holder && sameAttempt(holder.identity, me)) await unlink(file).catch(() => undefined);
    },
  };
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  try {
    await writeFile(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readHolder(file: string): Promise<{ identity: AttemptIdentity; ageMs: number } | null> {
  try {
    const [text, stats] = await Promise.all([readFile(file, 'utf8'), lstat(file)]);
    const identity = JSON.parse(text) as AttemptIdentity;
    if (typeof identity.pid !== 'number' || typeof identity.attempt !== 'number') return null;
    return { identity, ageMs: Date.now() - stats.mtimeMs };
  } catch {
    return null;
  }
}

function sameAttempt(a: AttemptIdentity, b: AttemptIdentity): boolean {
  return a.runId === b.runId && a.step === b.step && a.attempt === b.attempt && a.pid === b.pid && a.host === b.host;
}

function isStale(holder: AttemptIdentity, ageMs: number, leaseMs: number): boolean {
  if (ageMs > leaseMs) return true;
  return holder.host === hostname() && holder.pid !== process.pid && !processAlive(holder.pid);
}
