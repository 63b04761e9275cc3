import { fromEpochMicros, type UtcMicros } from '../core/timestamp';

/** A JS Date (millisecond precision) as the project's UTC microsecond string. */
export function fromDate(date: Date): UtcMicros {
  return fromEpochMicros(date.getTime() * 1000);
}
