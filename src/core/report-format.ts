// Text building blocks of the operator commands (`pitr backups`, `plan`, `list`): aligned tables and
// times that always carry their UTC offset and microseconds.
import { toBarmanTime, type UtcMicros } from './timestamp';

export interface Column {
  header: string;
  /** Numbers read best right-aligned; default left. */
  align?: 'left' | 'right';
}

/**
 * Rows under a header, each column as wide as its widest cell, two spaces between columns, no trailing
 * spaces. Every row must have one cell per column.
 */
export function formatTable(columns: Column[], rows: string[][]): string[] {
  rows.forEach((row, i) => {
    if (row.length !== columns.length) throw new RangeError(`row ${i + 1} has ${row.length} cells for ${columns.length} columns`);
  });
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/** `2026-11-24T23:00:27.990436+00:00`: ISO 8601 with an explicit offset, for JSON. */
export function isoOffsetTime(t: UtcMicros): string {
  const text = toBarmanTime(t);
  return `${text.slice(0, 10)}T${text.slice(11)}`;
}

const UTC_MICROS_IN_TEXT = /\b(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}\.\d{6})Z\b/g;

/** Every normalised UTC instant in a sentence (`…T23:00:27.990436Z`) rewritten as `… 23:00:27.990436+00:00`. */
export function withOffsetTimes(text: string): string {
  return text.replace(UTC_MICROS_IN_TEXT, '$1 $2+00:00');
}

/** A Date (millisecond precision, e.g. from Temporal) as `2026-11-24 23:00:27.990+00:00`. */
export function formatOffsetDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+00:00`;
}

/** A Date as ISO 8601 with an explicit offset: `2026-11-24T23:00:27.990+00:00`. */
export function isoOffsetDate(date: Date): string {
  return `${date.toISOString().slice(0, 23)}+00:00`;
}

/** Binary units with one decimal: `5.4 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A duration for a person: `59s`, `1m01s`, `3h05m`; `?` when it cannot be told (infinite, negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
