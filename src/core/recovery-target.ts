// The recovery target: what a person types (--target-time, --target-lsn, --target-xid, --target-name,
// --target-immediate), checked and normalised into one discriminated union; how messages name it; and the
// `barman recover` arguments it becomes. Every switch on its kind ends in a `never` default, so a new kind
// does not compile until each place handles it. Also the timeline and the action at the target.
// A time without an offset is refused: Barman reads it in the Barman host's zone and PostgreSQL in the restored
// server's `timezone`, so the two can disagree and the restore lands somewhere else.
// Pure: no I/O, no Node builtins (the workflow bundle imports it).
import { FailureTypes, RestoreError, type TargetAction } from '../shared';
import { readOffsetTimestamp, toBarmanTime, type UtcMicros } from './timestamp';
import { formatLsn, parseLsn } from './wal-names';

export type { TargetAction };

/** Where recovery stops. A time keeps the text the user gave, for the record. */
export type RecoveryTarget =
  | TimeTarget
  | { kind: 'lsn'; lsn: string }
  | { kind: 'xid'; xid: string }
  | { kind: 'name'; name: string }
  | { kind: 'immediate' };
export interface TimeTarget {
  kind: 'time';
  /** Normalised: UTC, ISO 8601, microseconds, e.g. 2026-11-24T21:55:42.916985Z. */
  utc: UtcMicros;
  /** The time as the user gave it, e.g. `2026-11-24 22:55:42.916985+01`. */
  given: string;
}
/** A target that is not a time: its WAL position is found by LSN, by scanning WAL, or is the backup's end. */
export type OtherTarget = Exclude<RecoveryTarget, TimeTarget>;
export type TargetKind = RecoveryTarget['kind'];
export const TARGET_KINDS: readonly TargetKind[] = ['time', 'lsn', 'xid', 'name', 'immediate'];
export const TARGET_ACTIONS: readonly TargetAction[] = ['pause', 'promote', 'shutdown'];

export class InvalidTargetError extends RestoreError {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(FailureTypes.InvalidTarget, message);
    this.name = 'InvalidTargetError';
  }
}

/**
 * A kind that reached a switch's default: the compiler proves it unreachable; an unchecked input may still get there,
 * and it is refused rather than given a default (no recovery settings, a check that passes). Only the descriptions a
 * workflow shows (describeTarget) and the advance's validator answer with a value instead.
 */
export function unknownKind(target: never): never {
  throw new RestoreError(FailureTypes.InvalidTarget, `the restore has no recovery target of a known kind (${JSON.stringify(target)})`);
}

/** The target a CLI flag gives: `form` is the flag without `--target-`, `text` its value ('' for immediate). */
export function parseRecoveryTarget(form: TargetKind, text: string): RecoveryTarget {
  switch (form) {
    case 'time':
      return parseTargetTime(text);
    case 'lsn':
      return parseTargetLsn(text);
    case 'xid':
      return parseTargetXid(text);
    case 'name':
      return parseTargetName(text);
    case 'immediate':
      return { kind: 'immediate' };
    default:
      return unknownKind(form);
  }
}

/** Parses a recovery target time with an explicit offset; throws {@link InvalidTargetError} otherwise. */
export function parseTargetTime(input: string): TimeTarget {
  const text = input.trim();
  const reading = readOffsetTimestamp(text);
  if (reading !== null) {
    if ('utc' in reading) return { kind: 'time', utc: reading.utc, given: input };
    throw new InvalidTargetError(input, `target time ${quote(text)} is not a real instant: ${reading.impossible}.`);
  }
  throw new InvalidTargetError(input, explainUnreadable(text));
}

export function parseTargetLsn(text: string): OtherTarget {
  if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(text.trim())) {
    throw new InvalidTargetError(text, `target LSN "${text}" is not a WAL location; give it as PostgreSQL prints it, e.g. 0/3000028 (pg_current_wal_lsn())`);
  }
  return { kind: 'lsn', lsn: formatLsn(parseLsn(text.trim())) };
}

export function parseTargetXid(text: string): OtherTarget {
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,19}$/.test(trimmed)) {
    throw new InvalidTargetError(text, `target transaction id "${text}" is not a positive whole number, e.g. 7252 (txid_current())`);
  }
  return { kind: 'xid', xid: trimmed };
}

export function parseTargetName(text: string): OtherTarget {
  // PostgreSQL keeps restore point names in a 64-byte buffer (MAXFNAMELEN): 63 bytes at most.
  if (text.length === 0 || new TextEncoder().encode(text).length > 63) {
    throw new InvalidTargetError(text, `restore point name "${text}" must be 1 to 63 bytes long, as given to pg_create_restore_point()`);
  }
  // Barman writes `recovery_target_name = '<name>'` into postgresql.auto.conf without escaping (3.4's
  // recovery_executor.py): a quote or a line break in the name would end the value and let the rest be
  // read as more settings (a restore_command, which PostgreSQL runs through a shell).
  const unsafe = [...new Set([...text].filter((c) => c === "'" || c === '\\' || /\p{Cc}/u.test(c)))];
  if (unsafe.length > 0) {
    throw new InvalidTargetError(
      text,
      `restore point name ${JSON.stringify(text)} holds ${unsafe.map((c) => JSON.stringify(c)).join(', ')}, which Barman would write unescaped into ` +
        'postgresql.auto.conf; such a restore point cannot be a target here. Use --target-lsn with the LSN pg_create_restore_point() returned instead',
    );
  }
  return { kind: 'name', name: text };
}

export function parseTargetAction(text: string): TargetAction {
  if (!(TARGET_ACTIONS as readonly string[]).includes(text)) {
    throw new InvalidTargetError(text, `target action "${text}" is not one of ${TARGET_ACTIONS.join(', ')}`);
  }
  return text as TargetAction;
}

/** --target-tli: a timeline number, `current` (the backup's own) or `latest` (PostgreSQL's default). */
export function parseTargetTimeline(text: string): number | 'current' | 'latest' {
  const word = text.trim().toLowerCase();
  if (word === 'current' || word === 'latest') return word;
  if (!/^[1-9][0-9]{0,9}$/.test(text.trim()) || Number(text) > 0xffffffff) {
    throw new InvalidTargetError(text, `target timeline "${text}" is not a timeline number (e.g. 2), current or latest`);
  }
  return Number(text);
}

/** The target in words, for summaries and messages. */
export function describeTarget(target: RecoveryTarget): string {
  // The workflow describes the target before the plan step has checked the input: a malformed one is described, not thrown on.
  if (typeof target !== 'object' || target === null) return 'no target';
  switch (target.kind) {
    case 'time':
      return target.utc;
    case 'lsn':
      return `LSN ${target.lsn}`;
    case 'xid':
      return `transaction ${target.xid}`;
    case 'name':
      return `restore point "${target.name}"`;
    case 'immediate':
      return 'the end of the backup (immediate)';
    default: {
      const unchecked: never = target;
      void unchecked;
      return 'no target';
    }
  }
}

/** The `barman recover` options that set the target. */
export function barmanTargetArgs(target: RecoveryTarget): string[] {
  switch (target.kind) {
    case 'time':
      return ['--target-time', toBarmanTime(target.utc)];
    case 'lsn':
      return ['--target-lsn', target.lsn];
    case 'xid':
      return ['--target-xid', target.xid];
    case 'name':
      return ['--target-name', target.name];
    case 'immediate':
      return ['--target-immediate'];
    default:
      return unknownKind(target);
  }
}

const ACCEPTED_FORMS =
  'Accepted forms: "2022-09-07 06:32:06.397252+00", "2022-09-07T06:32:06.397252+02:00", ' +
  '"2022-09-07T06:32:06Z", "2022-09-07 06:32:06+0200" (date, time to the second with at most 6 fractional ' +
  'digits, then Z or a numeric UTC offset).';

// A date with optional time and fraction, whatever follows; used only to explain what is wrong.
const LOOSE_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2})?(\.\d+)?)?(.*)$/;
const NUMERIC_OFFSET = /^(Z|[+-]\d{2}(?::?\d{2})?)$/;
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_/+-]*$/;
const MAX_QUOTED_LENGTH = 80;

function explainUnreadable(text: string): string {
  const subject = `target time ${quote(text)}`;
  if (text === '') return `target time is empty. ${ACCEPTED_FORMS}`;
  const m = LOOSE_TIMESTAMP.exec(text);
  if (!m) return `${subject} is not a time. ${ACCEPTED_FORMS}`;

  const [, date, hourMinute, seconds, fraction, rest] = m as unknown as [
    string, string, string | undefined, string | undefined, string | undefined, string,
  ];
  const restTrimmed = rest.trim();
  const clock = `${hourMinute ?? '00:00'}${seconds ?? ':00'}${fraction !== undefined && fraction.length <= 7 ? fraction : ''}`;
  const examples = `e.g. "${date} ${clock}+00" or "${date}T${clock}Z"`;

  if (hourMinute === undefined) {
    const what = restTrimmed === '' ? 'has no time of day and no UTC offset' : 'has no time of day';
    return `${subject} ${what}. Give a date, a time and an explicit offset, ${examples}.`;
  }
  if (seconds === undefined) {
    return `${subject} has no seconds. Write the time as HH:MM:SS with an explicit offset, ${examples}.`;
  }
  if (fraction !== undefined && fraction.length > 7) {
    return (
      `${subject} has ${fraction.length - 1} fractional digits; PostgreSQL and Barman keep microseconds, ` +
      `so give at most 6, ${examples}.`
    );
  }
  if (restTrimmed === '') {
    return (
      `${subject} has no UTC offset; PostgreSQL and Barman would each read it in their own time zone. ` +
      `Give an explicit offset, ${examples}.`
    );
  }
  if (rest !== restTrimmed && NUMERIC_OFFSET.test(restTrimmed)) {
    return `${subject} has a space before its UTC offset; write the offset right after the time, ${examples}.`;
  }
  if (ZONE_NAME.test(restTrimmed)) {
    return (
      `${subject} names a time zone (${quote(restTrimmed)}); zone names and abbreviations are not accepted ` +
      `because they are ambiguous. Give a numeric UTC offset, ${examples}.`
    );
  }
  return `${subject} is not a time: ${quote(rest)} after the time is not a UTC offset. ${ACCEPTED_FORMS}`;
}

function quote(text: string): string {
  const shown = text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}…` : text;
  return JSON.stringify(shown);
}
