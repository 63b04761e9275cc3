// One line of progress for a terminal: phase, a bar, bytes (or files), rate and ETA. Pure: the
// caller keeps the previous sample to compute the rate.
import type { ProgressDetails, RestorePhase } from '../shared';
import { formatBytes, formatDuration } from '../core/report-format';
import { terminalSafe } from '../core/untrusted-text';

export interface ProgressSample {
  atMs: number;
  done: number;
}

export function progressFraction(p: ProgressDetails): { done: number; total: number; unit: 'bytes' | 'files' } | null {
  if (p.bytesTotal > 0) return { done: p.bytesDone, total: p.bytesTotal, unit: 'bytes' };
  if (p.filesTotal > 0) return { done: p.filesDone, total: p.filesTotal, unit: 'files' };
  return null;
}

/**
 * Phases whose current sentence carries their own rate and ETA: replay's, measured by the worker over its polls of
 * PostgreSQL, where this line sees only heartbeats, a few seconds apart at best (src/core/replay-progress.ts).
 */
const RATE_IN_CURRENT: ReadonlySet<RestorePhase> = new Set(['Verify']);

export function progressLine(p: ProgressDetails, previous: ProgressSample | null, nowMs: number, width = 24): string {
  const fraction = progressFraction(p);
  // The current item may name an object of the bucket: no control character reaches the terminal.
  if (!fraction) return terminalSafe(`${p.phase}${p.current ? `: ${p.current}` : ''}`);
  const ratio = Math.min(1, fraction.done / fraction.total);
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const show = (n: number) => (fraction.unit === 'bytes' ? formatBytes(n) : `${n} files`);
  const head = `${p.phase.padEnd(13)} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}%`;
  if (RATE_IN_CURRENT.has(p.phase) && p.current) return terminalSafe(`${head}  ${p.current}`);
  const parts = [head, `${show(fraction.done)}/${show(fraction.total)}`];
  if (previous && nowMs > previous.atMs && fraction.done >= previous.done) {
    const rate = ((fraction.done - previous.done) * 1000) / (nowMs - previous.atMs);
    if (rate > 0) {
      parts.push(fraction.unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate.toFixed(1)} files/s`);
      parts.push(`ETA ${formatDuration((fraction.total - fraction.done) / rate)}`);
    }
  }
  if (p.filesTotal > 0 && fraction.unit === 'bytes') parts.push(`${p.filesDone}/${p.filesTotal} files`);
  return parts.join('  ');
}
