import assert from 'node:assert/strict';
import { formatOffsetDate, formatTable, isoOffsetDate, isoOffsetTime, withOffsetTimes } from '../../../src/core/report-format';
import { toBarmanTime } from '../../../src/core/timestamp';

describe('core/report-format', () => {
  describe('formatTable', () => {
    it('pads every column to its widest cell, two spaces apart, numbers right-aligned, no trailing spaces', () => {
      const lines = formatTable(
        [{ header: 'ID' }, { header: 'SIZE', align: 'right' }, { header: 'NOTE' }],
        [
          ['20261124T230024', '5.4 MiB', 'gzip'],
          ['b', '12 B', ''],
        ],
      );
      assert.deepEqual(lines, [
        'ID                  SIZE  NOTE',
        '20261124T230024  5.4 MiB  gzip',
        'b                   12 B',
      ]);
    });

    it('prints the header alone for no rows', () => {
      assert.deepEqual(formatTable([{ header: 'A' }, { header: 'BB' }], []), ['A  BB']);
    });

    it('refuses a row with the wrong number of cells', () => {
      assert.throws(() => formatTable([{ header: 'A' }, { header: 'B' }], [['x']]), /row 1 has 1 cells for 2 columns/);
    });
  });

  describe('times', () => {
    const t = '2026-11-24T23:00:27.990436Z';

    it('always shows the offset and the microseconds', () => {
      assert.equal(toBarmanTime(t), '2026-11-24 23:00:27.990436+00:00');
      assert.equal(isoOffsetTime(t), '2026-11-24T23:00:27.990436+00:00');
      assert.equal(toBarmanTime('2026-11-24T23:00:27.000000Z'), '2026-11-24 23:00:27.000000+00:00');
    });

    it('refuses what is not a normalised UTC instant', () => {
      assert.throws(() => toBarmanTime('2026-11-24 23:00:27'), TypeError);
    });

    it('rewrites every instant inside a sentence, and nothing else', () => {
      assert.equal(
        withOffsetTimes(`backup b ends at ${t}, after the target 2026-11-24T23:00:30.760000Z; id 20261124T230024`),
        'backup b ends at 2026-11-24 23:00:27.990436+00:00, after the target 2026-11-24 23:00:30.760000+00:00; id 20261124T230024',
      );
    });

    it('shows Temporal dates (milliseconds) with an offset', () => {
      const d = new Date('2026-11-24T23:35:46.118Z');
      assert.equal(formatOffsetDate(d), '2026-11-24 23:35:46.118+00:00');
      assert.equal(isoOffsetDate(d), '2026-11-24T23:35:46.118+00:00');
    });
  });
});
