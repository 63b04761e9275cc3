// One line of progress for a terminal: phase, a bar, bytes (or files), rate and ETA. Pure: the
// caller keeps the previous sample to compute the rate.
import type { ProgressDetails } from '../shared';
import { formatBytes } from '../core/report-format';
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

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(p: ProgressDetails, previous: ProgressSample | null, nowMs: number, width = 24): string {
  const fraction = progressFraction(p);
  // The current item may name an object of the bucket: no control character reaches the terminal.
  if (!fraction) return terminalSafe(`${p.phase}${p.current ? `: ${p.current}` : ''}`);
  const ratio = Math.min(1, fraction.done / fraction.total);
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const show = (n: number) => (fraction.unit === 'bytes' ? formatBytes(n) : `${n} files`);
  const parts = [`${p.phase.padEnd(13)} ${bar} ${(ratio * 100).toFixed(0).padStart(3)}%`, `${show(fraction.done)}/${show(fraction.total)}`];
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
