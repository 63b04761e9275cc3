import assert from 'node:assert/strict';
import {
  addMicros,
  fromEpochMicros,
  isUtcMicros,
  parseOffsetTimestamp,
  readOffsetTimestamp,
  toBarmanTime,
  toDate,
  toEpochMicros,
} from '../../../src/core/timestamp';

describe('core/timestamp', () => {
  describe('parseOffsetTimestamp', () => {
    it('reads every offset form and normalises to UTC with 6 fractional digits', () => {
      const cases: [string, string][] = [
        ['2026-11-24 21:55:42.916985+00:00', '2026-11-24T21:55:42.916985Z'],
        ['2026-11-24T21:55:42.916985Z', '2026-11-24T21:55:42.916985Z'],
        ['2022-09-07 06:32:06.397252+00', '2022-09-07T06:32:06.397252Z'],
        ['2022-09-07T06:32:06.397252+02:00', '2022-09-07T04:32:06.397252Z'],
        ['2022-09-07 06:32:06+0200', '2022-09-07T04:32:06.000000Z'],
        ['2022-09-07 06:32:06-05', '2022-09-07T11:32:06.000000Z'],
        ['2022-09-07 06:32:06+05:30', '2022-09-07T01:02:06.000000Z'],
        ['2022-09-07 06:32:06-0930', '2022-09-07T16:02:06.000000Z'],
        ['2022-09-07 06:32:06-00:00', '2022-09-07T06:32:06.000000Z'],
      ];
      for (const [input, expected] of cases) assert.equal(parseOffsetTimestamp(input), expected, input);
    });

    it('pads fractions of 1 to 6 digits and refuses 7', () => {
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.1Z'), '2026-01-02T03:04:05.100000Z');
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.12Z'), '2026-01-02T03:04:05.120000Z');
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.000001Z'), '2026-01-02T03:04:05.000001Z');
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.999999Z'), '2026-01-02T03:04:05.999999Z');
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.1234567Z'), null);
      assert.equal(parseOffsetTimestamp('2026-01-02 03:04:05.Z'), null);
    });

    it('carries the offset across day, month, year and leap-day boundaries', () => {
      assert.equal(parseOffsetTimestamp('2026-01-01 00:30:00+01:00'), '2025-12-31T23:30:00.000000Z');
      assert.equal(parseOffsetTimestamp('2025-12-31 23:30:00.5-01'), '2026-01-01T00:30:00.500000Z');
      assert.equal(parseOffsetTimestamp('2024-02-28 23:00:00-02:00'), '2024-02-29T01:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('2023-02-28 23:00:00-02:00'), '2023-03-01T01:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('2024-03-01 00:59:59.999999+01'), '2024-02-29T23:59:59.999999Z');
    });

    it('requires an offset', () => {
      assert.equal(parseOffsetTimestamp('2022-09-07 06:32:06'), null);
      assert.equal(parseOffsetTimestamp('2022-09-07 06:32:06.397252'), null);
      assert.equal(parseOffsetTimestamp('2022-09-07 06:32:06 UTC'), null);
      assert.equal(parseOffsetTimestamp('2022-09-07 06:32:06 +00'), null);
      assert.equal(parseOffsetTimestamp('2022-09-07 06:32:06CET'), null);
    });

    it('refuses other shapes', () => {
      for (const bad of [
        '',
        'yesterday',
        '2022-09-07',
        '2022-09-07 06:32Z',
        '2022-9-07 06:32:06Z',
        '22-09-07 06:32:06Z',
        '2022-09-07 6:32:06Z',
        '2022-09-07_06:32:06Z',
        '2022-09-07t06:32:06z',
        ' 2022-09-07 06:32:06Z',
        '2022-09-07 06:32:06Z ',
        '2022-09-07 06:32:06+1',
        '2022-09-07 06:32:06+123',
        '2022-09-07 06:32:06+01:2',
        '2022-09-07 06:32:06+01:00:00',
        '２０２２-09-07 06:32:06Z',
      ]) {
        assert.equal(parseOffsetTimestamp(bad), null, JSON.stringify(bad));
      }
    });

    it('accepts February 29 in leap years only', () => {
      assert.equal(parseOffsetTimestamp('2024-02-29 12:00:00Z'), '2024-02-29T12:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('2000-02-29 12:00:00Z'), '2000-02-29T12:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('2023-02-29 12:00:00Z'), null);
      assert.equal(parseOffsetTimestamp('1900-02-29 12:00:00Z'), null);
      assert.equal(parseOffsetTimestamp('2100-02-29 12:00:00Z'), null);
    });

    it('refuses impossible calendar and clock values', () => {
      for (const bad of [
        '2026-00-10 00:00:00Z',
        '2026-13-10 00:00:00Z',
        '2026-01-00 00:00:00Z',
        '2026-01-32 00:00:00Z',
        '2026-04-31 00:00:00Z',
        '2026-06-31 00:00:00Z',
        '2026-09-31 00:00:00Z',
        '2026-11-31 00:00:00Z',
        '2026-01-01 24:00:00Z',
        '2026-01-01 23:60:00Z',
        '2026-01-01 23:59:60Z',
        '0000-01-01 00:00:00Z',
        '2026-01-01 00:00:00+16',
        '2026-01-01 00:00:00+05:60',
      ]) {
        assert.equal(parseOffsetTimestamp(bad), null, bad);
      }
      assert.equal(parseOffsetTimestamp('2026-12-31 23:59:59Z'), '2026-12-31T23:59:59.000000Z');
      assert.equal(parseOffsetTimestamp('2026-01-01 00:00:00+15:59'), '2025-12-31T08:01:00.000000Z');
      assert.equal(parseOffsetTimestamp('2026-01-01 00:00:00-15:59'), '2026-01-01T15:59:00.000000Z');
    });

    it('handles the ends of the year range', () => {
      assert.equal(parseOffsetTimestamp('0001-01-01 00:00:00Z'), '0001-01-01T00:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('0001-01-01 00:00:00+01'), null);
      assert.equal(parseOffsetTimestamp('0099-03-01 00:00:00Z'), '0099-03-01T00:00:00.000000Z');
      assert.equal(parseOffsetTimestamp('9999-12-31 23:59:59.999999Z'), '9999-12-31T23:59:59.999999Z');
      assert.equal(parseOffsetTimestamp('9999-12-31 23:59:59-01'), null);
    });
  });

  describe('readOffsetTimestamp', () => {
    it('explains why a well-shaped timestamp is impossible', () => {
      assert.deepEqual(readOffsetTimestamp('2022-02-30 06:32:06+00'), { impossible: 'February 2022 has 28 days' });
      assert.deepEqual(readOffsetTimestamp('2024-02-30 06:32:06+00'), { impossible: 'February 2024 has 29 days' });
      assert.deepEqual(readOffsetTimestamp('2026-04-31 06:32:06Z'), { impossible: 'April 2026 has 30 days' });
      assert.deepEqual(readOffsetTimestamp('2026-13-01 06:32:06Z'), { impossible: 'month 13 does not exist' });
      assert.deepEqual(readOffsetTimestamp('2026-01-01 24:00:00Z'), { impossible: 'hour 24 is out of range (00–23)' });
      assert.deepEqual(readOffsetTimestamp('2026-01-01 00:00:60Z'), {
        impossible: 'second 60 is out of range (00–59)',
      });
      assert.deepEqual(readOffsetTimestamp('2026-01-01 00:00:00+16:00'), {
        impossible: 'UTC offset +16:00 is out of range (at most ±15:59)',
      });
    });

    it('returns null when the shape is wrong and the instant when right', () => {
      assert.equal(readOffsetTimestamp('2026-01-01 00:00:00'), null);
      assert.deepEqual(readOffsetTimestamp('2026-01-01 00:00:00Z'), { utc: '2026-01-01T00:00:00.000000Z' });
    });
  });

  describe('epoch microseconds', () => {
    it('converts both ways exactly, microseconds included', () => {
      assert.equal(toEpochMicros('1970-01-01T00:00:00.000000Z'), 0);
      assert.equal(toEpochMicros('1970-01-01T00:00:00.000001Z'), 1);
      assert.equal(toEpochMicros('2026-11-24T21:55:42.916985Z'), 1_795_557_342_916_985);
      assert.equal(fromEpochMicros(1_795_557_342_916_985), '2026-11-24T21:55:42.916985Z');
      assert.equal(fromEpochMicros(0), '1970-01-01T00:00:00.000000Z');
    });

    it('handles instants before 1970', () => {
      assert.equal(toEpochMicros('1969-12-31T23:59:59.999999Z'), -1);
      assert.equal(fromEpochMicros(-1), '1969-12-31T23:59:59.999999Z');
      assert.equal(fromEpochMicros(-1_000_000), '1969-12-31T23:59:59.000000Z');
      assert.equal(fromEpochMicros(-1_000_001), '1969-12-31T23:59:58.999999Z');
    });

    it('agrees with Date on many instants', () => {
      let seed = 12345;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
      for (let i = 0; i < 2000; i++) {
        // Milliseconds from 1900 to about 2200.
        const ms = Math.floor((next() / 2_147_483_648) * 9_800_000_000_000) - 2_208_988_800_000;
        const micros = ms * 1000 + (next() % 1000);
        const t = fromEpochMicros(micros);
        assert.equal(t.slice(0, 23), new Date(ms).toISOString().slice(0, 23), String(micros));
        assert.equal(toEpochMicros(t), micros);
        assert.equal(parseOffsetTimestamp(t), t);
      }
    });

    it('stays exact up to the largest safe integer and refuses beyond', () => {
      const max = Number.MAX_SAFE_INTEGER;
      const t = fromEpochMicros(max);
      assert.equal(t, '2255-06-05T23:47:34.740991Z');
      assert.equal(toEpochMicros(t), max);
      assert.equal(fromEpochMicros(max - 999_999), '2255-06-05T23:47:33.740992Z');
      assert.throws(() => toEpochMicros('2300-01-01T00:00:00.000000Z'), RangeError);
      assert.throws(() => fromEpochMicros(max + 1), RangeError);
      assert.throws(() => fromEpochMicros(1.5), RangeError);
      assert.throws(() => fromEpochMicros(Number.NaN), RangeError);
    });

    it('refuses strings that are not normalised UTC instants', () => {
      for (const bad of [
        '2026-11-24T21:55:42.916985',
        '2026-11-24T21:55:42.91698Z',
        '2026-11-24 21:55:42.916985Z',
        '2026-11-24T21:55:42.916985+00:00',
        '2026-02-30T21:55:42.916985Z',
      ]) {
        assert.throws(() => toEpochMicros(bad), TypeError, bad);
        assert.equal(isUtcMicros(bad), false, bad);
      }
      assert.equal(isUtcMicros('2026-11-24T21:55:42.916985Z'), true);
    });
  });

  describe('string order', () => {
    it('matches time order', () => {
      const times = [
        '1800-12-31T23:59:59.999999Z',
        '1969-12-31T23:59:59.999999Z',
        '2026-11-24T21:55:42.000000Z',
        '2026-11-24T21:55:42.000001Z',
        '2026-11-24T21:55:42.100000Z',
        '2026-11-24T21:55:43.000000Z',
      ];
      for (let i = 1; i < times.length; i++) {
        assert.ok(times[i - 1]! < times[i]!);
        assert.ok(toEpochMicros(times[i - 1]!) < toEpochMicros(times[i]!));
      }
    });
  });

  describe('toBarmanTime', () => {
    it('writes the form barman recover --target-time takes, offset explicit', () => {
      assert.equal(toBarmanTime('2026-11-24T21:55:42.916985Z'), '2026-11-24 21:55:42.916985+00:00');
      assert.equal(toBarmanTime('2026-11-24T21:55:42.000000Z'), '2026-11-24 21:55:42.000000+00:00');
      assert.equal(parseOffsetTimestamp(toBarmanTime('2026-11-24T21:55:42.916985Z')), '2026-11-24T21:55:42.916985Z');
    });

    it('refuses a string that is not a UTC instant', () => {
      assert.throws(() => toBarmanTime('2026-11-24 21:55:42+02'), TypeError);
    });
  });

  describe('toDate', () => {
    it('truncates to the millisecond', () => {
      assert.equal(toDate('2026-11-24T21:55:42.916985Z').toISOString(), '2026-11-24T21:55:42.916Z');
      assert.equal(toDate('1969-12-31T23:59:59.999999Z').getTime(), -1);
    });
  });

  describe('addMicros', () => {
    it('moves across second and day boundaries', () => {
      assert.equal(addMicros('2026-11-24T23:59:59.999999Z', 1), '2026-11-25T00:00:00.000000Z');
      assert.equal(addMicros('2026-01-01T00:00:00.000000Z', -5_000_000), '2025-12-31T23:59:55.000000Z');
    });
  });
});
