import assert from 'node:assert/strict';
import {
  barmanTargetArgs,
  describeTarget,
  InvalidTargetError,
  parseRecoveryTarget,
  parseTargetAction,
  parseTargetLsn,
  parseTargetName,
  parseTargetTime,
  parseTargetTimeline,
  parseTargetXid,
  type RecoveryTarget,
} from '../../../src/core/recovery-target';

function failure(input: string): InvalidTargetError {
  try {
    parseTargetTime(input);
  } catch (e) {
    assert.ok(e instanceof InvalidTargetError, `expected InvalidTargetError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be refused`);
}

describe('core/recovery-target', () => {
  describe('accepted forms', () => {
    it('reads the seed form with a +00 offset', () => {
      assert.deepEqual(parseTargetTime('2022-09-07 06:32:06.397252+00'), { kind: 'time', utc: '2022-09-07T06:32:06.397252Z', given: '2022-09-07 06:32:06.397252+00' });
    });

    it('reads ISO 8601 with Z, ±HH:MM and ±HHMM offsets, converting to UTC', () => {
      assert.deepEqual(parseTargetTime('2022-09-07T06:32:06.397252+02:00'), { kind: 'time', utc: '2022-09-07T04:32:06.397252Z', given: '2022-09-07T06:32:06.397252+02:00' });
      assert.deepEqual(parseTargetTime('2022-09-07T06:32:06Z'), { kind: 'time', utc: '2022-09-07T06:32:06.000000Z', given: '2022-09-07T06:32:06Z' });
      assert.deepEqual(parseTargetTime('2022-09-07 06:32:06+0200'), { kind: 'time', utc: '2022-09-07T04:32:06.000000Z', given: '2022-09-07 06:32:06+0200' });
      assert.deepEqual(parseTargetTime('2022-09-07 00:32:06-05:00'), { kind: 'time', utc: '2022-09-07T05:32:06.000000Z', given: '2022-09-07 00:32:06-05:00' });
    });

    it('trims surrounding whitespace', () => {
      assert.deepEqual(parseTargetTime('  2022-09-07T06:32:06Z\n'), { kind: 'time', utc: '2022-09-07T06:32:06.000000Z', given: '  2022-09-07T06:32:06Z\n' });
    });

    it('reads what toBarmanTime writes (backup.info end_time form)', () => {
      assert.deepEqual(parseTargetTime('2026-11-24 21:56:01.261324+00:00'), { kind: 'time', utc: '2026-11-24T21:56:01.261324Z', given: '2026-11-24 21:56:01.261324+00:00' });
    });
  });

  describe('refusals', () => {
    it('refuses a time without offset, explaining why and showing the fix', () => {
      const e = failure('2022-09-07 06:32:06');
      assert.equal(
        e.message,
        'target time "2022-09-07 06:32:06" has no UTC offset; PostgreSQL and Barman would each read it in their ' +
          'own time zone. Give an explicit offset, e.g. "2022-09-07 06:32:06+00" or "2022-09-07T06:32:06Z".',
      );
      assert.equal(e.type, 'InvalidTarget');
      assert.equal(e.input, '2022-09-07 06:32:06');
      assert.equal(e.name, 'InvalidTargetError');
      assert.ok(e instanceof Error);
    });

    it('keeps the fraction in the suggested fix', () => {
      assert.match(
        failure('2022-09-07T06:32:06.397252').message,
        /has no UTC offset.*e\.g\. "2022-09-07 06:32:06\.397252\+00" or "2022-09-07T06:32:06\.397252Z"/,
      );
    });

    it('refuses a date without time of day', () => {
      assert.match(failure('2022-09-07').message, /"2022-09-07" has no time of day and no UTC offset/);
      assert.match(failure('2022-09-07+02').message, /"2022-09-07\+02" has no time of day\. .*"2022-09-07 00:00:00\+00"/);
    });

    it('refuses a time without seconds', () => {
      assert.match(failure('2022-09-07 06:32+00').message, /has no seconds.*"2022-09-07 06:32:00\+00"/);
    });

    it('refuses more than 6 fractional digits', () => {
      assert.match(
        failure('2022-09-07 06:32:06.1234567+00').message,
        /has 7 fractional digits; PostgreSQL and Barman keep microseconds, so give at most 6/,
      );
    });

    it('refuses zone names and abbreviations', () => {
      for (const input of ['2022-09-07 06:32:06 UTC', '2022-09-07 06:32:06 Europe/Paris', '2022-09-07 06:32:06CET']) {
        assert.match(failure(input).message, /names a time zone .*Give a numeric UTC offset/, input);
      }
      assert.match(failure('2022-09-07 06:32:06 EST').message, /names a time zone \("EST"\)/);
    });

    it('refuses a space before the offset with a precise hint', () => {
      assert.match(failure('2022-09-07 06:32:06 +02:00').message, /has a space before its UTC offset/);
    });

    it('tells impossible dates apart from non-times', () => {
      assert.equal(
        failure('2022-02-30 06:32:06+00').message,
        'target time "2022-02-30 06:32:06+00" is not a real instant: February 2022 has 28 days.',
      );
      assert.match(failure('2023-02-29T06:32:06Z').message, /not a real instant: February 2023 has 28 days/);
      assert.match(failure('2022-09-07 25:00:00Z').message, /not a real instant: hour 25 is out of range/);
      assert.match(failure('2022-09-07 06:32:06+18:00').message, /not a real instant: UTC offset \+18:00/);
    });

    it('says plainly when the input is not a time at all, listing the accepted forms', () => {
      for (const input of ['yesterday', 'now', '1662532326', '07/09/2022 06:32:06', 'latest']) {
        const message = failure(input).message;
        assert.ok(message.startsWith(`target time "${input}" is not a time. Accepted forms: `), message);
        assert.match(message, /"2022-09-07 06:32:06\.397252\+00"/);
        assert.match(message, /"2022-09-07T06:32:06Z"/);
      }
      assert.match(failure('2022-09-07 06:32:06+1').message, /is not a time: "\+1" after the time is not a UTC offset/);
    });

    it('refuses empty input', () => {
      assert.match(failure('').message, /^target time is empty\. Accepted forms/);
      assert.match(failure('   ').message, /^target time is empty/);
    });

    it('quotes hostile input safely and shortly', () => {
      const e = failure(`x"\n${'y'.repeat(500)}`);
      assert.ok(e.message.length < 500, e.message);
      assert.match(e.message, /^target time "x\\"\\nyyy/);
    });
  });

  describe('targets other than a time, the timeline and the action', () => {
    it('parses LSNs, xids, names, actions and timelines, refusing bad ones with an example', () => {
      assert.deepEqual(parseTargetLsn('0/3000028'), { kind: 'lsn', lsn: '0/3000028' });
      assert.deepEqual(parseTargetLsn(' 1/0A0000F0 '), { kind: 'lsn', lsn: '1/A0000F0' });
      assert.throws(() => parseTargetLsn('3000028'), /not a WAL location; give it as PostgreSQL prints it, e\.g\. 0\/3000028/);
      assert.deepEqual(parseTargetXid('7252'), { kind: 'xid', xid: '7252' });
      assert.throws(() => parseTargetXid('-3'), /not a positive whole number/);
      assert.throws(() => parseTargetXid('0'), /not a positive whole number/);
      assert.deepEqual(parseTargetName('before-upgrade'), { kind: 'name', name: 'before-upgrade' });
      assert.throws(() => parseTargetName('x'.repeat(64)), /1 to 63 bytes/);
      // Barman writes the name unescaped into postgresql.auto.conf: a quote, a backslash or a line break would end it.
      assert.throws(() => parseTargetName("it's"), /restore point name "it's" holds "'", which Barman would write unescaped.*--target-lsn/);
      assert.throws(() => parseTargetName("x'\nrestore_command='touch /tmp/owned"), /holds "'", "\\n"/);
      assert.throws(() => parseTargetName('back\\slash'), /holds "\\\\"/);
      assert.deepEqual(parseTargetName('before upgrade: v2 "final"'), { kind: 'name', name: 'before upgrade: v2 "final"' });
      assert.throws(() => parseTargetName(''), /1 to 63 bytes/);
      assert.equal(parseTargetAction('promote'), 'promote');
      assert.throws(() => parseTargetAction('resume'), /not one of pause, promote, shutdown/);
      assert.equal(parseTargetTimeline('2'), 2);
      assert.equal(parseTargetTimeline('latest'), 'latest');
      assert.equal(parseTargetTimeline('Current'), 'current');
      assert.throws(() => parseTargetTimeline('newest'), /target timeline "newest" is not a timeline number \(e\.g\. 2\), current or latest/);
    });

    it('refuses with the one error type the CLI reports as a usage error', () => {
      for (const bad of [() => parseTargetLsn('x'), () => parseTargetXid('x'), () => parseTargetName(''), () => parseTargetAction('x'), () => parseTargetTimeline('x')]) {
        assert.throws(bad, (e: unknown) => e instanceof InvalidTargetError && e.type === 'InvalidTarget');
      }
    });
  });

  describe('each kind: the CLI flag it comes from, its description, and its barman recover arguments', () => {
    const cases: { flag: Parameters<typeof parseRecoveryTarget>[0]; text: string; target: RecoveryTarget; described: string; barman: string[] }[] = [
      {
        flag: 'time',
        text: '2026-11-24 22:08:46.010383+01',
        target: { kind: 'time', utc: '2026-11-24T21:08:46.010383Z', given: '2026-11-24 22:08:46.010383+01' },
        described: '2026-11-24T21:08:46.010383Z',
        barman: ['--target-time', '2026-11-24 21:08:46.010383+00:00'],
      },
      { flag: 'lsn', text: '0/0A000028', target: { kind: 'lsn', lsn: '0/A000028' }, described: 'LSN 0/A000028', barman: ['--target-lsn', '0/A000028'] },
      { flag: 'xid', text: ' 7252', target: { kind: 'xid', xid: '7252' }, described: 'transaction 7252', barman: ['--target-xid', '7252'] },
      { flag: 'name', text: 'before upgrade', target: { kind: 'name', name: 'before upgrade' }, described: 'restore point "before upgrade"', barman: ['--target-name', 'before upgrade'] },
      { flag: 'immediate', text: '', target: { kind: 'immediate' }, described: 'the end of the backup (immediate)', barman: ['--target-immediate'] },
    ];
    for (const c of cases) {
      it(c.flag, () => {
        assert.deepEqual(parseRecoveryTarget(c.flag, c.text), c.target);
        assert.equal(describeTarget(c.target), c.described);
        assert.deepEqual(barmanTargetArgs(c.target), c.barman);
      });
    }

    it('describes a malformed target of an unchecked input instead of throwing (the workflow describes it before planning checks it)', () => {
      assert.equal(describeTarget(undefined as unknown as RecoveryTarget), 'no target');
      assert.equal(describeTarget({ kind: 'latest' } as unknown as RecoveryTarget), 'no target');
      assert.throws(() => barmanTargetArgs({ kind: 'latest' } as unknown as RecoveryTarget), /the restore has no recovery target/);
    });
  });
});
