import assert from 'node:assert/strict';
import { restoreInputProblems, validateRestoreInput } from '../../../src/core/restore-input';
import { FailureTypes, RestoreError, type RestoreInput } from '../../../src/shared';

const valid: RestoreInput = {
  server: 'pg',
  bucket: 'pitr-backups',
  prefix: '',
  target: { kind: 'time', utc: '2026-11-24T22:08:46.010383Z', given: '2026-11-24 22:08:46.010383+00' },
  destination: '/var/lib/postgresql/restored',
  taskQueue: 'pitr',
  force: false,
};

/** The single problem `input` has (asserting there is exactly one). */
function problemOf(input: unknown): string {
  const problems = restoreInputProblems(input);
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems)}`);
  return problems[0]!;
}

const without = (field: keyof RestoreInput): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...valid };
  delete copy[field];
  return copy;
};

describe('restore input validation', () => {
  it('accepts what pitr restore builds, for every kind of target, with every optional field', () => {
    assert.deepEqual(restoreInputProblems(valid), []);
    for (const target of [{ kind: 'lsn', lsn: '0/3000028' }, { kind: 'xid', xid: '7252' }, { kind: 'name', name: 'before-migration' }, { kind: 'immediate' }]) {
      assert.deepEqual(restoreInputProblems({ ...valid, target, backupId: '20261124T220817' }), [], JSON.stringify(target));
    }
    const full = { ...valid, targetTimeline: 2, targetAction: 'promote', backupId: '20261124T220817', force: true, prefix: 'a/b', timings: { retryInitialMs: 50, retryMaximumMs: 200, heartbeatTimeoutMs: 2000 } };
    assert.deepEqual(restoreInputProblems(full), []);
    assert.equal(validateRestoreInput(full), full);
    // Optional fields sent as null by other SDKs are absent.
    assert.deepEqual(restoreInputProblems({ ...valid, targetTimeline: null, targetAction: null }), []);
  });

  it('names each missing required field and what it expects', () => {
    assert.equal(problemOf(without('server')), 'server is missing; expected the barman-cloud server name, a string');
    assert.match(problemOf(without('bucket')), /^bucket is missing; expected the bucket name/);
    assert.match(problemOf(without('prefix')), /^prefix is missing; expected the key prefix .*"" for the bucket root/);
    assert.match(problemOf(without('destination')), /^destination is missing; expected an absolute, normalised path/);
    assert.match(problemOf(without('taskQueue')), /^taskQueue is missing; expected the task queue/);
    assert.equal(problemOf(without('force')), 'force is missing; expected true or false');
  });

  it('names ill-typed fields with the value and its type', () => {
    assert.equal(problemOf({ ...valid, force: 'yes' }), 'force is "yes"; expected true or false');
    assert.match(problemOf({ ...valid, server: 42 }), /^server is 42 \(number\); expected/);
    assert.match(problemOf({ ...valid, bucket: '' }), /^bucket is ""; expected the bucket name, a non-empty string/);
    assert.match(problemOf({ ...valid, bucket: 'a/b' }), /^bucket is "a\/b"/);
    assert.match(problemOf({ ...valid, taskQueue: '  ' }), /^taskQueue is "  "/);
    assert.match(problemOf({ ...valid, targetTimeline: 0 }), /^targetTimeline is 0 \(number\); expected a timeline number/);
    assert.match(problemOf({ ...valid, targetTimeline: '2' }), /^targetTimeline is "2"; expected a timeline number/);
    assert.match(problemOf({ ...valid, backupId: 'latest' }), /^backupId is "latest"; expected a barman backup id, YYYYMMDDTHHMMSS/);
    const time = (utc: unknown, given: unknown = 'as typed') => problemOf({ ...valid, target: { kind: 'time', utc, given } });
    assert.match(time('2026-11-24 22:08:46+00'), /^target \.utc is "2026-11-24 22:08:46\+00"; expected a UTC time with microseconds/);
    assert.match(time('2026-02-30T12:00:00.000000Z'), /^target \.utc is/, 'not a real date');
    assert.match(time(undefined), /^target \.utc is missing; expected a UTC time/);
    assert.match(time('2026-11-24T22:08:46.010383Z', 7), /^target \.given is 7 \(number\); expected the time as the user gave it, a string/);
    assert.match(problemOf({ ...valid, target: { kind: 'time', utc: '2026-11-24T22:08:46.010383Z' } }), /^target \.given is missing/);
    assert.match(problemOf({ ...valid, server: '-x' }), /^server: server name "-x" is not valid/);
    assert.match(problemOf({ ...valid, timings: { retryInitialMs: -1 } }), /^timings\.retryInitialMs is -1 \(number\); expected a positive number of milliseconds/);
    assert.match(problemOf({ ...valid, timings: { retryInitalMs: 5 } }), /^timings\.retryInitalMs is not a timing; the timings are retryInitialMs, retryMaximumMs, heartbeatTimeoutMs/);
  });

  it('accepts hold with the default or the pause action, and refuses it with promote or shutdown, or as a non-boolean', () => {
    assert.deepEqual(restoreInputProblems({ ...valid, hold: true }), []);
    assert.deepEqual(restoreInputProblems({ ...valid, hold: true, targetAction: 'pause' }), []);
    assert.deepEqual(restoreInputProblems({ ...valid, hold: false, targetAction: 'promote' }), []);
    assert.match(problemOf({ ...valid, hold: true, targetAction: 'promote' }), /^hold is true with targetAction "promote"; a held restore stays paused at the target until pitr finish/);
    assert.equal(problemOf({ ...valid, hold: 'yes' }), 'hold is "yes"; expected true or false');
  });

  it('refuses an unknown targetAction, listing the accepted ones', () => {
    assert.equal(problemOf({ ...valid, targetAction: 'resume' }), 'targetAction is "resume"; expected one of "pause", "promote", "shutdown"');
  });

  it('refuses no target, and the two fields targets had before one target field', () => {
    assert.match(problemOf(without('target')), /^target is missing; expected one recovery target \(a time, an LSN, a transaction id, a restore point name, or immediate\): \{kind: "time", utc, given\}/);
    assert.match(problemOf({ ...valid, target: null }), /^target is missing/);
    const old = restoreInputProblems({ ...without('target'), targetTime: '2026-11-24T22:08:46.010383Z', otherTarget: { kind: 'immediate' } });
    assert.equal(old.length, 2, JSON.stringify(old));
    assert.match(old[0]!, /^unknown fields "targetTime", "otherTarget"; the fields are server, bucket, prefix, target, /);
    assert.match(old[1]!, /^target is missing/);
  });

  it('refuses malformed targets, with the parser of what a person types', () => {
    const target = (value: unknown) => problemOf({ ...valid, target: value });
    assert.match(target({ kind: 'latest' }), /^target kind is "latest"; expected one of "time", "lsn", "xid", "name", "immediate"/);
    assert.match(target({ lsn: '0/1' }), /^target kind is missing/);
    assert.match(target('0/3000028'), /^target is "0\/3000028"; expected \{kind: "time", utc, given\}, \{kind: "lsn", lsn\}/);
    assert.match(target({ kind: 'lsn' }), /^target \.lsn is missing; expected a string/);
    assert.match(target({ kind: 'lsn', lsn: 'zz' }), /^target \.lsn: target LSN "zz" is not a WAL location/);
    assert.match(target({ kind: 'xid', xid: 7252 }), /^target \.xid is 7252 \(number\); expected a string/);
    assert.match(target({ kind: 'name', name: "a'b" }), /^target \.name: restore point name "a'b" holds "'"/);
  });

  it('refuses a destination that is not absolute and normalised', () => {
    for (const destination of ['restored', './restored', '/srv/../etc', '/srv/./x', '/srv//x', '/srv/x/', '']) {
      assert.match(problemOf({ ...valid, destination }), /^destination is "[^"]*"; expected an absolute, normalised path/, destination);
    }
  });

  it('refuses unknown fields (a misspelt option would otherwise be ignored)', () => {
    assert.match(problemOf({ ...valid, targetActon: 'promote' }), /^unknown field "targetActon"; the fields are server, bucket, prefix/);
  });

  it('refuses what is not an object', () => {
    for (const input of [null, undefined, 'pg', [valid], 3]) assert.match(problemOf(input), /^the restore input is .*; expected an object with the fields server, bucket/);
  });

  it('throws a non-retryable InvalidInput listing every problem and what to do', () => {
    assert.throws(
      () => validateRestoreInput({ ...valid, targetAction: 'resume', destination: 'restored' }),
      (err: unknown) => {
        assert.ok(err instanceof RestoreError);
        assert.equal(err.type, FailureTypes.InvalidInput);
        assert.equal(
          err.message,
          'invalid restore input: targetAction is "resume"; expected one of "pause", "promote", "shutdown"; destination is "restored"; expected an absolute, normalised path ' +
            '(starting with "/", no "." or ".." component, no "//", no trailing "/"), e.g. "/var/lib/postgresql/restored". Nothing was done. ' +
            'Start the restore with `pitr restore` (it builds a valid input), or correct the client that started this workflow',
        );
        return true;
      },
    );
  });
});
