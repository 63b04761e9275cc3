// The recovery target flags shared by `pitr restore` and `pitr advance`: exactly one of them.
import { parseRecoveryTarget, type RecoveryTarget, type TargetKind } from '../core/recovery-target';
import { UsageError } from './usage-error';

export const TARGET_OPTIONS = {
  'target-time': { type: 'string' },
  'target-lsn': { type: 'string' },
  'target-xid': { type: 'string' },
  'target-name': { type: 'string' },
  'target-immediate': { type: 'boolean', default: false },
} as const;

const TARGET_FLAGS = Object.keys(TARGET_OPTIONS) as (keyof typeof TARGET_OPTIONS)[];

/** The one target the flags give; refuses none or several, with `usage`. */
export function targetFromFlags(values: Partial<Record<keyof typeof TARGET_OPTIONS, string | boolean | undefined>>, usage: string): RecoveryTarget {
  const given = TARGET_FLAGS.filter((flag) => values[flag]);
  const [flag] = given;
  if (given.length !== 1 || flag === undefined) {
    throw new UsageError(`${given.length === 0 ? 'a recovery target is required' : `give one recovery target, not ${given.map((f) => `--${f}`).join(' and ')}`}\nusage: ${usage}`);
  }
  const value = values[flag];
  return parseRecoveryTarget(flag.slice('target-'.length) as TargetKind, typeof value === 'string' ? value : '');
}
