import assert from 'node:assert/strict';
import {
  DEFAULT_SEGMENT_SIZE,
  assertValidSegmentSize,
  formatLsn,
  formatSegmentName,
  historyFileTimeline,
  isBackupHistoryFileName,
  isHistoryFileName,
  isSegmentName,
  nextSegmentName,
  parseLsn,
  parseSegmentName,
  segmentFromIndex,
  segmentIndex,
  segmentNameForLsn,
  segmentsPerLog,
  walHashDir,
} from '../../../src/core/wal-names';

const MB = 1024 * 1024;

describe('core/wal-names', () => {
  describe('name recognition', () => {
    it('recognises segment names', () => {
      assert.ok(isSegmentName('000000010000000000000026'));
      assert.ok(isSegmentName('0000000A00000003000000FF'));
      assert.ok(isSegmentName('FFFFFFFFFFFFFFFF00000FFF'));
      for (const bad of [
        '00000001000000000000002',
        '0000000100000000000000266',
        '000000010000000000000026.gz',
        '00000001000000000000002a',
        '000000000000000000000026',
        '000000010000000000001000',
        '0000000100000000000000G6',
        '',
        '00000002.history',
      ]) {
        assert.equal(isSegmentName(bad), false, bad);
      }
    });

    it('recognises history file names', () => {
      assert.ok(isHistoryFileName('00000002.history'));
      assert.ok(isHistoryFileName('0000000A.history'));
      for (const bad of ['0000000a.history', '00000000.history', '2.history', '00000002.history.gz', '00000002.HISTORY']) {
        assert.equal(isHistoryFileName(bad), false, bad);
      }
    });

    it('recognises backup history file names', () => {
      assert.ok(isBackupHistoryFileName('000000010000000000000011.00000028.backup'));
      for (const bad of [
        '000000010000000000000011.00000028.backup.gz',
        '000000010000000000000011.0000028.backup',
        '000000010000000000000011.backup',
        '000000000000000000000011.00000028.backup',
        '000000010000000000000011',
      ]) {
        assert.equal(isBackupHistoryFileName(bad), false, bad);
      }
    });
  });

  describe('parseSegmentName / formatSegmentName', () => {
    it('round-trips', () => {
      assert.deepEqual(parseSegmentName('0000000A00000003000000FF'), { timeline: 10, log: 3, seg: 255 });
      assert.equal(formatSegmentName({ timeline: 10, log: 3, seg: 255 }), '0000000A00000003000000FF');
      assert.deepEqual(parseSegmentName('FFFFFFFFFFFFFFFF00000FFF'), {
        timeline: 0xffffffff,
        log: 0xffffffff,
        seg: 0xfff,
      });
      assert.equal(formatSegmentName({ timeline: 0xffffffff, log: 0xffffffff, seg: 0xfff }), 'FFFFFFFFFFFFFFFF00000FFF');
    });

    it('throws on malformed names with a message saying what is expected', () => {
      assert.throws(() => parseSegmentName('00000001000000000000002a'), /not a WAL segment name.*24 upper-case hex/);
      assert.throws(() => parseSegmentName('000000000000000000000026'), /timeline ≥ 1/);
      assert.throws(() => parseSegmentName('000000010000000000000026.partial'), /not a WAL segment name/);
    });

    it('refuses impossible ids', () => {
      assert.throws(() => formatSegmentName({ timeline: 0, log: 0, seg: 1 }), RangeError);
      assert.throws(() => formatSegmentName({ timeline: 1, log: -1, seg: 1 }), RangeError);
      assert.throws(() => formatSegmentName({ timeline: 1, log: 0x100000000, seg: 1 }), RangeError);
      assert.throws(() => formatSegmentName({ timeline: 1, log: 0, seg: 0x1000 }), RangeError);
      assert.throws(() => formatSegmentName({ timeline: 1, log: 0, seg: 1.5 }), RangeError);
    });
  });

  describe('history file names', () => {
    it('reads the timeline of a history file name', () => {
      assert.equal(historyFileTimeline('0000000A.history'), 10);
      assert.throws(() => historyFileTimeline('0000000A.backup'), /not a timeline history file name/);
    });
  });

  describe('segment sizes', () => {
    it('counts segments per 4 GiB log', () => {
      assert.equal(DEFAULT_SEGMENT_SIZE, 16_777_216);
      assert.equal(segmentsPerLog(16 * MB), 256);
      assert.equal(segmentsPerLog(1 * MB), 4096);
      assert.equal(segmentsPerLog(64 * MB), 64);
      assert.equal(segmentsPerLog(1024 * MB), 4);
    });

    it('accepts only powers of 2 from 1 MB to 1 GB', () => {
      for (const bad of [0, -16 * MB, 512 * 1024, 2048 * MB, 3 * MB, 16 * MB + 1, 16.5 * MB, Number.NaN]) {
        assert.throws(() => assertValidSegmentSize(bad), /power of 2 from 1 MB to 1 GB/, String(bad));
      }
      for (const good of [MB, 2 * MB, 16 * MB, 1024 * MB]) assertValidSegmentSize(good);
    });
  });

  describe('segment positions', () => {
    it('computes the index from log and segment, ignoring the timeline', () => {
      assert.equal(segmentIndex('000000010000000000000026', 16 * MB), 0x26);
      assert.equal(segmentIndex('000000020000000000000026', 16 * MB), 0x26);
      assert.equal(segmentIndex('0000000100000001000000FF', 16 * MB), 256 + 255);
      assert.equal(segmentIndex('000000010000000100000001', 1024 * MB), 5);
      assert.equal(segmentIndex('000000010000000200000FFF', MB), 2 * 4096 + 4095);
    });

    it('refuses a segment part that cannot exist at the segment size', () => {
      assert.throws(() => segmentIndex('000000010000000000000100', 16 * MB), /cannot exist with 16777216-byte segments/);
      assert.throws(() => segmentIndex('000000010000000000000040', 64 * MB), RangeError);
      assert.throws(() => segmentIndex('000000010000000000000004', 1024 * MB), RangeError);
      assert.equal(segmentIndex('000000010000000000000003', 1024 * MB), 3);
    });

    it('builds names back from indexes', () => {
      assert.equal(segmentFromIndex(1, 0x26, 16 * MB), '000000010000000000000026');
      assert.equal(segmentFromIndex(2, 256, 16 * MB), '000000020000000100000000');
      assert.equal(segmentFromIndex(1, 5, 1024 * MB), '000000010000000100000001');
      assert.throws(() => segmentFromIndex(1, -1, 16 * MB), RangeError);
      assert.throws(() => segmentFromIndex(1, 1.5, 16 * MB), RangeError);
      assert.throws(() => segmentFromIndex(1, 0x100000000 * 256, 16 * MB), RangeError);
      assert.throws(() => segmentFromIndex(0, 1, 16 * MB), RangeError);
    });

    it('wraps from segment 0xFF into the next log at 16 MB', () => {
      assert.equal(nextSegmentName('0000000100000000000000FE', 16 * MB), '0000000100000000000000FF');
      assert.equal(nextSegmentName('0000000100000000000000FF', 16 * MB), '000000010000000100000000');
      assert.equal(nextSegmentName('00000003000000AB000000FF', 16 * MB), '00000003000000AC00000000');
    });

    it('wraps at the segment count of other sizes', () => {
      assert.equal(nextSegmentName('000000010000000000000FFF', MB), '000000010000000100000000');
      assert.equal(nextSegmentName('0000000100000000000000FF', MB), '000000010000000000000100');
      assert.equal(nextSegmentName('000000010000000000000003', 1024 * MB), '000000010000000100000000');
      assert.equal(nextSegmentName('00000001000000000000003F', 64 * MB), '000000010000000100000000');
    });

    it('refuses to go past the last log', () => {
      assert.throws(() => nextSegmentName('00000001FFFFFFFF000000FF', 16 * MB), RangeError);
    });
  });

  describe('walHashDir', () => {
    it('is the first 16 characters of segments and .backup files', () => {
      assert.equal(walHashDir('000000010000000000000026'), '0000000100000000');
      assert.equal(walHashDir('0000000A00000003000000FF'), '0000000A00000003');
      assert.equal(walHashDir('000000010000000000000011.00000028.backup'), '0000000100000000');
    });

    it('does not exist for history files and other names', () => {
      assert.throws(() => walHashDir('00000002.history'), /has no hash folder/);
      assert.throws(() => walHashDir('000000010000000000000026.gz'), /has no hash folder/);
    });
  });

  describe('LSNs', () => {
    it('parses and formats like PostgreSQL (%X/%X)', () => {
      assert.equal(parseLsn('0/26000028'), 0x26000028);
      assert.equal(parseLsn('0/0'), 0);
      assert.equal(parseLsn('1/0'), 0x100000000);
      assert.equal(parseLsn('3/FFFFFFFF'), 4 * 0x100000000 - 1);
      assert.equal(parseLsn('0/01a3f0b0'), 0x01a3f0b0);
      assert.equal(formatLsn(0x26000028), '0/26000028');
      assert.equal(formatLsn(0x01a3f0b0), '0/1A3F0B0');
      assert.equal(formatLsn(0x100000000 + 5), '1/5');
      assert.equal(formatLsn(parseLsn('1FFFFF/FFFFFFFF')), '1FFFFF/FFFFFFFF');
    });

    it('refuses malformed and inexact LSNs', () => {
      for (const bad of ['', '0', '0/', '/1', '0/26000028/1', '0x0/1', '0/123456789', 'G/0', ' 0/1']) {
        assert.throws(() => parseLsn(bad), /not a WAL location/, bad);
      }
      assert.throws(() => parseLsn('200000/0'), /too large/);
      assert.throws(() => formatLsn(-1), RangeError);
      assert.throws(() => formatLsn(0.5), RangeError);
    });

    it('finds the segment holding an LSN, at and around boundaries', () => {
      assert.equal(segmentNameForLsn(1, '0/26000028', 16 * MB), '000000010000000000000026');
      assert.equal(segmentNameForLsn(1, '0/26000000', 16 * MB), '000000010000000000000026');
      assert.equal(segmentNameForLsn(1, '0/25FFFFFF', 16 * MB), '000000010000000000000025');
      assert.equal(segmentNameForLsn(2, '0/FFFFFFFF', 16 * MB), '0000000200000000000000FF');
      assert.equal(segmentNameForLsn(2, '1/0', 16 * MB), '000000020000000100000000');
      assert.equal(segmentNameForLsn(1, '1/40000000', 1024 * MB), '000000010000000100000001');
      assert.equal(segmentNameForLsn(1, '0/26000028', MB), '000000010000000000000260');
      assert.throws(() => segmentNameForLsn(1, '0/26000028', 3 * MB), /power of 2/);
    });
  });
});
