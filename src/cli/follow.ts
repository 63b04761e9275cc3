// Follows a restore to its end, printing a line whenever its phase or progress changes.
import type { WorkflowHandle } from '@temporalio/client';
import type { RestoreResult } from '../shared';
import { formatStatusLine, readRestoreStatus } from './restore-status';

export async function followRestore(handle: WorkflowHandle, options: { quiet: boolean; pollMs?: number }): Promise<RestoreResult> {
  const result = handle.result() as Promise<RestoreResult>;
  let settled = false;
  result.then(
    () => (settled = true),
    () => (settled = true),
  );
  let lastLine = '';
  while (!settled && !options.quiet) {
    try {
      const line = formatStatusLine(await readRestoreStatus(handle));
      if (line !== lastLine) console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
      lastLine = line;
    } catch {
      // describe is best effort while following; the result decides
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, options.pollMs ?? 1000))]);
  }
  return result;
}
