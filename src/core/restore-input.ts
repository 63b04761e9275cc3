// The workflow's input as a client sent it, checked before anything acts on it. `pitr restore` builds a
// valid input, but scripts and other SDKs start the workflow directly: a missing or ill-typed field, an
// unknown target action, a target of no known kind, or a relative destination would otherwise fail somewhere
// later (or be retried forever). Each problem names the field, what it holds and what is accepted.
// Pure: no I/O, no Node builtins (the workflow bundle may import it).
import { FailureTypes, RestoreError, type RestoreInput, type RestoreTimings } from '../shared';
import { isUtcMicros } from './timestamp';
import { InvalidServerNameError, assertValidServerName, isBackupId } from './s3-layout';
import { isAbsoluteNormalised, tablespaceChoicesProblems } from './tablespace-locations';
import { parseTargetLsn, parseTargetName, parseTargetXid, TARGET_ACTIONS, TARGET_KINDS, type TargetKind } from './recovery-target';

const FIELDS: readonly (keyof RestoreInput)[] = [
  'server',
  'bucket',
  'prefix',
  'target',
  'targetTimeline',
  'targetAction',
  'backupId',
  'destination',
  'taskQueue',
  'force',
  'tablespaces',
  'hold',
  'timings',
];
const TIMINGS: readonly (keyof RestoreTimings)[] = ['retryInitialMs', 'retryMaximumMs', 'heartbeatTimeoutMs'];
const TARGET_SHAPES = '{kind: "time", utc, given}, {kind: "lsn", lsn}, {kind: "xid", xid}, {kind: "name", name} or {kind: "immediate"}';

/** Every problem of `input`, one sentence each, in field order; empty when it is a valid RestoreInput. */
export function restoreInputProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [`the restore input is ${describe(input)}; expected an object with the fields ${FIELDS.join(', ')}`];
  }
  const o = input as Record<string, unknown>;
  const problems: string[] = [];
  const present = (field: string) => o[field] !== undefined && o[field] !== null;
  const need = (field: string, ok: boolean, expected: string) => {
    if (!ok) problems.push(`${field} is ${present(field) ? describe(o[field]) : 'missing'}; expected ${expected}`);
    return ok;
  };

  const unknown = Object.keys(o).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the fields are ${FIELDS.join(', ')}`);

  if (need('server', typeof o.server === 'string', 'the barman-cloud server name, a string')) {
    try {
      assertValidServerName(o.server as string);
    } catch (err) {
      if (!(err instanceof InvalidServerNameError)) throw err;
      problems.push(`server: ${err.message}`);
    }
  }
  need('bucket', typeof o.bucket === 'string' && /^[^/\s]+$/.test(o.bucket), 'the bucket name, a non-empty string without "/" or spaces');
  need('prefix', typeof o.prefix === 'string' && !/\p{Cc}/u.test(o.prefix), 'the key prefix before the server folder, a string ("" for the bucket root)');

  if (need('target', present('target'), `one recovery target (a time, an LSN, a transaction id, a restore point name, or immediate): ${TARGET_SHAPES}`)) {
    const problem = targetProblem(o.target);
    if (problem) problems.push(`target ${problem}`);
  }
  if (present('targetTimeline')) {
    const tli = o.targetTimeline;
    need(
      'targetTimeline',
      tli === 'latest' || tli === 'current' || (typeof tli === 'number' && Number.isInteger(tli) && tli >= 1 && tli <= 0xffffffff),
      'a timeline number (a whole number from 1 to 4294967295), "current" or "latest" (the default)',
    );
  }
  if (present('targetAction')) {
    need('targetAction', typeof o.targetAction === 'string' && (TARGET_ACTIONS as readonly string[]).includes(o.targetAction), `one of ${TARGET_ACTIONS.map((a) => `"${a}"`).join(', ')}`);
  }
  if (present('backupId')) need('backupId', typeof o.backupId === 'string' && isBackupId(o.backupId), 'a barman backup id, YYYYMMDDTHHMMSS, e.g. "20261124T220817"');

  need('destination', typeof o.destination === 'string' && isAbsoluteNormalised(o.destination), 'an absolute, normalised path (starting with "/", no "." or ".." component, no "//", no trailing "/"), e.g. "/var/lib/postgresql/restored"');
  need('taskQueue', typeof o.taskQueue === 'string' && o.taskQueue.trim() !== '', "the task queue of the Barman host's worker, a non-empty string");
  need('force', typeof o.force === 'boolean', 'true or false');
  if (present('tablespaces')) problems.push(...tablespaceChoicesProblems(o.tablespaces, o.destination));
  if (present('hold') && need('hold', typeof o.hold === 'boolean', 'true or false') && o.hold === true && present('targetAction') && o.targetAction !== 'pause') {
    problems.push(`hold is true with targetAction "${String(o.targetAction)}"; a held restore stays paused at the target until pitr finish promotes or stops it: leave targetAction out or give "pause"`);
  }

  if (present('timings')) {
    const t = o.timings;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) {
      problems.push(`timings is ${describe(t)}; expected an object with any of ${TIMINGS.join(', ')} (milliseconds)`);
    } else {
      for (const [key, value] of Object.entries(t as Record<string, unknown>)) {
        if (!(TIMINGS as readonly string[]).includes(key)) problems.push(`timings.${key} is not a timing; the timings are ${TIMINGS.join(', ')}`);
        else if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
          problems.push(`timings.${key} is ${describe(value)}; expected a positive number of milliseconds`);
        }
      }
    }
  }
  return problems;
}

/** `input` as a RestoreInput, or a non-retryable InvalidInput failure listing every problem. */
export function validateRestoreInput(input: unknown): RestoreInput {
  const problems = restoreInputProblems(input);
  if (problems.length > 0) {
    throw new RestoreError(
      FailureTypes.InvalidInput,
      `invalid restore input: ${problems.join('; ')}. Nothing was done. Start the restore with \`pitr restore\` (it builds a valid input), or correct the client that started this workflow`,
    );
  }
  return input as RestoreInput;
}

/** What is wrong with a recovery target as a client sent it (workflow input, an advance), or undefined. */
export function targetProblem(target: unknown): string | undefined {
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return `is ${describe(target)}; expected ${TARGET_SHAPES}`;
  const t = target as Record<string, unknown>;
  if (!(TARGET_KINDS as readonly unknown[]).includes(t.kind)) {
    return `kind is ${t.kind === undefined ? 'missing' : describe(t.kind)}; expected one of ${TARGET_KINDS.map((k) => `"${k}"`).join(', ')}`;
  }
  const kind = t.kind as TargetKind;
  switch (kind) {
    case 'time':
      if (!(typeof t.utc === 'string' && isUtcMicros(t.utc))) return `.utc is ${fieldValue(t.utc)}; expected a UTC time with microseconds, e.g. "2026-11-24T21:55:42.916985Z"`;
      if (typeof t.given !== 'string') return `.given is ${fieldValue(t.given)}; expected the time as the user gave it, a string`;
      return undefined;
    case 'lsn':
      return textProblem(t, kind, parseTargetLsn);
    case 'xid':
      return textProblem(t, kind, parseTargetXid);
    case 'name':
      return textProblem(t, kind, parseTargetName);
    case 'immediate':
      return undefined;
    default: {
      const unchecked: never = kind;
      return `kind is ${describe(unchecked)}`;
    }
  }
}

/** The problem of the text field of an LSN, xid or name target: missing, not a string, or refused by the CLI's own parsing. */
function textProblem(t: Record<string, unknown>, field: 'lsn' | 'xid' | 'name', parse: (text: string) => unknown): string | undefined {
  const value = t[field];
  if (typeof value !== 'string') return `.${field} is ${fieldValue(value)}; expected a string`;
  try {
    parse(value);
  } catch (err) {
    return `.${field}: ${(err as Error).message}`;
  }
  return undefined;
}

function fieldValue(value: unknown): string {
  return value === undefined ? 'missing' : describe(value);
}

/** A value as a message shows it: its JSON (shortened), and its type when JSON hides it. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return `${String(value)} (${value === null ? 'null' : typeof value})`;
  const json = JSON.stringify(value) ?? String(value);
  return `${json.length > 80 ? `${json.slice(0, 80)}...` : json} (${Array.isArray(value) ? 'an array' : typeof value})`;
}
