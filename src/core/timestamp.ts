// Instants as normalised UTC strings with microseconds, e.g. 2026-11-24T21:55:42.916985Z.
// Fixed width means string comparison is time comparison, and nothing is lost to JS Date's milliseconds.
// Arithmetic is done on whole seconds and a separate microsecond part, so it is exact for years 1–9999.

/** A UTC instant: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always exactly 6 fractional digits. */
export type UtcMicros = string;

const MICROS_PER_SECOND = 1_000_000;
/** PostgreSQL's limit for a numeric UTC offset (real zones span −12:00 to +14:00). */
const MAX_OFFSET_HOURS = 15;

const OFFSET_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2})(?::?(\d{2}))?)$/;
const UTC_MICROS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** Result of reading a timestamp whose shape is right: the instant, or why the calendar rejects it. */
export type OffsetTimestampReading = { utc: UtcMicros } | { impossible: string };

/**
 * Reads `YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]` followed by `Z`, `±HH`, `±HHMM` or `±HH:MM`.
 * Returns null when the text does not have that shape; `{ impossible }` when it has the shape but names no
 * real instant (February 30, hour 24, offset +16:00, …), with a short explanation.
 */
export function readOffsetTimestamp(text: string): OffsetTimestampReading | null {
  const m = OFFSET_TIMESTAMP.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const impossible = calendarProblem(year, month, day, hour, minute, second);
  if (impossible) return { impossible };

  let offsetSeconds = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[10]);
    const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetHours > MAX_OFFSET_HOURS || offsetMinutes > 59) {
      return {
        impossible: `UTC offset ${m[8]} is out of range (at most ±${MAX_OFFSET_HOURS}:59)`,
      };
    }
    offsetSeconds = (m[9] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }

  const epochSeconds = epochSecondsOf(year, month, day, hour, minute, second) - offsetSeconds;
  const micros = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  const utc = formatInstant(epochSeconds, micros);
  if (utc === null) return { impossible: 'it falls outside the years 0001–9999 once converted to UTC' };
  return { utc };
}

/** {@link readOffsetTimestamp} without the explanation: the UTC instant, or null. */
export function parseOffsetTimestamp(text: string): UtcMicros | null {
  const reading = readOffsetTimestamp(text);
  return reading !== null && 'utc' in reading ? reading.utc : null;
}

/** True when `t` is a normalised UTC instant naming a real date and time. */
export function isUtcMicros(t: string): t is UtcMicros {
  return splitUtcMicros(t) !== null;
}

/** Microseconds since 1970-01-01T00:00:00Z. Exact while it fits a double's 53 bits (until about 2255). */
export function toEpochMicros(t: UtcMicros): number {
  const { epochSeconds, micros } = mustSplit(t);
  const us = epochSeconds * MICROS_PER_SECOND + micros;
  if (!Number.isSafeInteger(us)) {
    throw new RangeError(`${t} is too far from 1970 to count in microseconds exactly`);
  }
  return us;
}

export function fromEpochMicros(us: number): UtcMicros {
  if (!Number.isSafeInteger(us)) {
    throw new RangeError(`epoch microseconds must be a safe integer, got ${us}`);
  }
  let epochSeconds = Math.floor(us / MICROS_PER_SECOND);
  let micros = us - epochSeconds * MICROS_PER_SECOND;
  // The division is rounded; near 2^53 the floor can land one second off.
  if (micros < 0) {
    epochSeconds -= 1;
    micros += MICROS_PER_SECOND;
  } else if (micros >= MICROS_PER_SECOND) {
    epochSeconds += 1;
    micros -= MICROS_PER_SECOND;
  }
  const t = formatInstant(epochSeconds, micros);
  if (t === null) throw new RangeError(`epoch microseconds ${us} fall outside the years 0001–9999`);
  return t;
}

/** The form for `barman recover --target-time`: `2026-11-24 21:55:42.916985+00:00`, offset explicit. */
export function toBarmanTime(t: UtcMicros): string {
  mustSplit(t);
  return `${t.slice(0, 10)} ${t.slice(11, 26)}+00:00`;
}

/** A JS Date (millisecond precision) as the project's UTC microsecond string. */
export function fromDate(date: Date): UtcMicros {
  return fromEpochMicros(date.getTime() * 1000);
}

/** A JS Date, truncated to the millisecond (for Temporal Datetime search attributes). */
export function toDate(t: UtcMicros): Date {
  const { epochSeconds, micros } = mustSplit(t);
  return new Date(epochSeconds * 1000 + Math.floor(micros / 1000));
}

/** `t` moved by a signed number of microseconds. */
export function addMicros(t: UtcMicros, deltaMicros: number): UtcMicros {
  return fromEpochMicros(toEpochMicros(t) + deltaMicros);
}

function mustSplit(t: UtcMicros): { epochSeconds: number; micros: number } {
  const parts = splitUtcMicros(t);
  if (parts === null) {
    throw new TypeError(`not a normalised UTC instant (YYYY-MM-DDTHH:MM:SS.ffffffZ): ${JSON.stringify(t)}`);
  }
  return parts;
}

function splitUtcMicros(t: string): { epochSeconds: number; micros: number } | null {
  const m = UTC_MICROS.exec(t);
  if (!m) return null;
  const [year, month, day, hour, minute, second, micros] = m.slice(1, 8).map(Number) as [
    number, number, number, number, number, number, number,
  ];
  if (calendarProblem(year, month, day, hour, minute, second)) return null;
  return { epochSeconds: epochSecondsOf(year, month, day, hour, minute, second), micros };
}

function calendarProblem(
  year: number, month: number, day: number, hour: number, minute: number, second: number,
): string | null {
  if (year < 1) return 'year 0000 does not exist';
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    return day < 1 ? 'day 00 does not exist' : `${MONTH_NAMES[month - 1]} ${year} has ${days} days`;
  }
  if (hour > 23) return `hour ${hour} is out of range (00–23)`;
  if (minute > 59) return `minute ${minute} is out of range (00–59)`;
  if (second > 59) return `second ${second} is out of range (00–59)`;
  return null;
}

/** Day 0 of the next month is the last day of this one. */
function daysInMonth(year: number, month: number): number {
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}

// Whole seconds by Date's proleptic Gregorian calendar, which is exact for them; setUTCFullYear, unlike
// Date.UTC, gives years 0–99 no special meaning. The microseconds are kept apart.
function epochSecondsOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.setUTCHours(hour, minute, second) / 1000;
}

function formatInstant(epochSeconds: number, micros: number): UtcMicros | null {
  // toISOString writes years 0000–9999 with four digits, the others signed with six.
  const iso = new Date(epochSeconds * 1000).toISOString();
  if (!/^\d{4}-/.test(iso) || iso.startsWith('0000')) return null;
  return `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}
