// Follows a restore to its end. On a terminal: a live progress line per phase (bar, bytes or files,
// rate, ETA), each phase's last line kept. Otherwise: a plain line whenever phase or progress changes.
import type { WorkflowHandle } from '@temporalio/client';
import { terminalSafe } from '../core/untrusted-text';
import type { RestoreResult } from '../shared';
import { progressFraction, progressLine, type ProgressSample } from './progress-line';
import { formatStatusLine, readRestoreStatus, type RestoreStatus } from './restore-status';

export interface FollowOptions {
  quiet: boolean;
}

export async function followRestore(handle: WorkflowHandle, options: FollowOptions): Promise<RestoreResult> {
  const result = handle.result() as Promise<RestoreResult>;
  let settled = false;
  result.then(
    () => (settled = true),
    () => (settled = true),
  );
  await watchRestore(handle, options, () => settled, result);
  return result;
}

/**
 * Shows a restore's progress until it ends, `done()` says so, or it is held at its target (a held restore goes on
 * until `pitr finish`: following it stops there). `wake` cuts the wait between polls short.
 */
export async function watchRestore(handle: WorkflowHandle, options: FollowOptions, done: () => boolean = () => false, wake: Promise<unknown> = new Promise(() => undefined)): Promise<void> {
  const render = process.stdout.isTTY ? terminalRenderer() : plainRenderer();
  while (!done()) {
    try {
      const status = await readRestoreStatus(handle);
      if (!options.quiet) render.update(status, Date.now());
      if (status.status !== 'RUNNING' || status.phase === 'Held') break;
    } catch {
      // describe is best effort while following; the result decides
    }
    await Promise.race([wake.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  render.finish();
}

interface Renderer {
  update(status: RestoreStatus, nowMs: number): void;
  finish(): void;
}

function plainRenderer(): Renderer {
  let last = '';
  return {
    update(status) {
      const line = formatStatusLine(status);
      if (line !== last) process.stdout.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);
      last = line;
    },
    finish() {},
  };
}

function terminalRenderer(): Renderer {
  let phase: string | null = null;
  let sample: ProgressSample | null = null;
  let drawn = false;
  return {
    update(status, nowMs) {
      const progress = status.progress ?? (status.phase ? { phase: status.phase as never, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 } : null);
      if (!progress) return;
      if (progress.phase !== phase) {
        if (drawn) process.stdout.write('\n');
        phase = progress.phase;
        sample = null;
      }
      const retry = status.attempt && status.attempt > 1 ? `  (attempt ${status.attempt}${status.lastFailure ? `: ${terminalSafe(status.lastFailure).slice(0, 60)}` : ''})` : '';
      process.stdout.write(`\r\x1b[K  ${progressLine(progress, sample, nowMs)}${retry}`);
      drawn = true;
      const fraction = progressFraction(progress);
      sample = fraction ? { atMs: nowMs, done: fraction.done } : null;
    },
    finish() {
      if (drawn) process.stdout.write('\n');
    },
  };
}
