// The user's recovery target time, checked and normalised to UTC.
// A time without an offset is refused: Barman reads it in the Barman host's zone and PostgreSQL in the restored
// server's `timezone`, so the two can disagree and the restore lands somewhere else (docs/barman-pitr-facts.md §4).
import { FailureTypes } from '../shared';
import { readOffsetTimestamp, type UtcMicros } from './timestamp';

export class InvalidTargetError extends Error {
  readonly type = FailureTypes.InvalidTarget;
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTargetError';
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

/** Parses a recovery target time with an explicit offset; throws {@link InvalidTargetError} otherwise. */
export function parseTargetTime(input: string): { utc: UtcMicros } {
  const text = input.trim();
  const reading = readOffsetTimestamp(text);
  if (reading !== null) {
    if ('utc' in reading) return { utc: reading.utc };
    throw new InvalidTargetError(input, `target time ${quote(text)} is not a real instant: ${reading.impossible}.`);
  }
  throw new InvalidTargetError(input, explainUnreadable(text));
}

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
