import assert from 'node:assert/strict';
import {
  parseTimelineHistory,
  segmentTimelineSpans,
  spanForIndex,
  type TimelineSwitch,
} from '../../../src/core/timeline-history';

const MB = 1024 * 1024;
const SIZE = 16 * MB;

describe('core/timeline-history', () => {
  describe('parseTimelineHistory', () => {
    it('reads the lines PostgreSQL writes', () => {
      const text = '1\t0/3000000\tno recovery target specified\n\n2\t0/5A0000D8\tbefore 2026-11-24 22:08:46.010383+00\n';
      assert.deepEqual(parseTimelineHistory(text), [
        { parentTimeline: 1, switchLsn: '0/3000000', reason: 'no recovery target specified' },
        { parentTimeline: 2, switchLsn: '0/5A0000D8', reason: 'before 2026-11-24 22:08:46.010383+00' },
      ]);
    });

    it('skips comments, blank lines and CRLF; normalises the LSN; allows a missing reason', () => {
      const text = '# comment\r\n   \r\n  1\t0/03000000\r\n# 2 0/4000000 old\n3 1/a0\tat restore point "x"\t(extra)\n';
      assert.deepEqual(parseTimelineHistory(text), [
        { parentTimeline: 1, switchLsn: '0/3000000', reason: '' },
        { parentTimeline: 3, switchLsn: '1/A0', reason: 'at restore point "x"\t(extra)' },
      ]);
    });

    it('returns no switches for an empty file', () => {
      assert.deepEqual(parseTimelineHistory(''), []);
      assert.deepEqual(parseTimelineHistory('\n# nothing\n'), []);
    });

    it('refuses malformed lines, naming the line', () => {
      assert.throws(() => parseTimelineHistory('1\n'), /line 1 is not/);
      assert.throws(() => parseTimelineHistory('1\t0/3000000\tok\nx\t0/4000000\n'), /line 2 is not/);
      assert.throws(() => parseTimelineHistory('1\t03000000\tno slash\n'), /line 1 is not/);
      assert.throws(() => parseTimelineHistory('-1\t0/3000000\n'), /line 1 is not/);
      assert.throws(() => parseTimelineHistory('0\t0/3000000\n'), /timeline "0" is out of range/);
    });

    it('quotes at most a short excerpt of a bad line, with control characters escaped', () => {
      for (const text of [`\u009b2J${'x'.repeat(100_000)}\n`, `${'9'.repeat(100_000)}\t0/3000000\n`]) {
        assert.throws(
          () => parseTimelineHistory(text),
          (err: Error) => err.message.length < 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(err.message) && /"\.\.\./.test(err.message),
        );
      }
    });

    it('requires increasing timelines', () => {
      assert.throws(
        () => parseTimelineHistory('2\t0/3000000\tx\n1\t0/4000000\ty\n'),
        /line 2: timeline 1 follows 2; timelines must increase/,
      );
      assert.throws(() => parseTimelineHistory('1\t0/3000000\tx\n1\t0/4000000\ty\n'), /timelines must increase/);
    });
  });

  describe('segmentTimelineSpans', () => {
    it('reads everything from the one timeline when there is no history', () => {
      assert.deepEqual(segmentTimelineSpans(1, [], SIZE), [{ timeline: 1, fromIndex: 0, toIndex: null }]);
      assert.deepEqual(segmentTimelineSpans(5, [], SIZE), [{ timeline: 5, fromIndex: 0, toIndex: null }]);
    });

    it('reads the segment holding a mid-segment switch from the new timeline', () => {
      const history: TimelineSwitch[] = [{ parentTimeline: 1, switchLsn: '0/300A0D8', reason: '' }];
      assert.deepEqual(segmentTimelineSpans(2, history, SIZE), [
        { timeline: 1, fromIndex: 0, toIndex: 2 },
        { timeline: 2, fromIndex: 3, toIndex: null },
      ]);
    });

    it('starts the new timeline at the boundary segment when the switch is exactly on it', () => {
      const history: TimelineSwitch[] = [{ parentTimeline: 1, switchLsn: '0/3000000', reason: '' }];
      assert.deepEqual(segmentTimelineSpans(2, history, SIZE), [
        { timeline: 1, fromIndex: 0, toIndex: 2 },
        { timeline: 2, fromIndex: 3, toIndex: null },
      ]);
      const justBefore: TimelineSwitch[] = [{ parentTimeline: 1, switchLsn: '0/2FFFFFF', reason: '' }];
      assert.deepEqual(segmentTimelineSpans(2, justBefore, SIZE), [
        { timeline: 1, fromIndex: 0, toIndex: 1 },
        { timeline: 2, fromIndex: 2, toIndex: null },
      ]);
    });

    it('follows several switches, with skipped timeline numbers, across a log wrap', () => {
      const history = parseTimelineHistory('1\t0/FF000100\tx\n3\t1/2000000\ty\n');
      assert.deepEqual(segmentTimelineSpans(4, history, SIZE), [
        { timeline: 1, fromIndex: 0, toIndex: 254 },
        { timeline: 3, fromIndex: 255, toIndex: 257 },
        { timeline: 4, fromIndex: 258, toIndex: null },
      ]);
    });

    it('gives no span to a timeline that lived inside one segment', () => {
      const history = parseTimelineHistory('1\t0/3000100\tx\n2\t0/3000200\ty\n');
      assert.deepEqual(segmentTimelineSpans(3, history, SIZE), [
        { timeline: 1, fromIndex: 0, toIndex: 2 },
        { timeline: 3, fromIndex: 3, toIndex: null },
      ]);
    });

    it('gives no span to the first timeline when it switched inside segment 0', () => {
      const history = parseTimelineHistory('1\t0/100\tx\n');
      assert.deepEqual(segmentTimelineSpans(2, history, SIZE), [{ timeline: 2, fromIndex: 0, toIndex: null }]);
    });

    it('uses the segment size', () => {
      const history = parseTimelineHistory('1\t1/40000000\tx\n');
      assert.deepEqual(segmentTimelineSpans(2, history, 1024 * MB), [
        { timeline: 1, fromIndex: 0, toIndex: 4 },
        { timeline: 2, fromIndex: 5, toIndex: null },
      ]);
      assert.deepEqual(segmentTimelineSpans(2, history, MB), [
        { timeline: 1, fromIndex: 0, toIndex: 4096 + 1024 - 1 },
        { timeline: 2, fromIndex: 4096 + 1024, toIndex: null },
      ]);
    });

    it('refuses histories that cannot belong to the target timeline', () => {
      const h = (text: string) => parseTimelineHistory(text);
      assert.throws(() => segmentTimelineSpans(2, h('2\t0/3000000\tx\n'), SIZE), /out of order/);
      assert.throws(() => segmentTimelineSpans(2, h('1\t0/3000000\tx\n3\t0/4000000\tx\n'), SIZE), /out of order/);
      assert.throws(
        () =>
          segmentTimelineSpans(
            3,
            [
              { parentTimeline: 2, switchLsn: '0/3000000', reason: '' },
              { parentTimeline: 1, switchLsn: '0/4000000', reason: '' },
            ],
            SIZE,
          ),
        /out of order/,
      );
      assert.throws(() => segmentTimelineSpans(3, h('1\t0/5000000\tx\n2\t0/4000000\ty\n'), SIZE), /before its parent/);
      assert.throws(() => segmentTimelineSpans(0, [], SIZE), RangeError);
      assert.throws(() => segmentTimelineSpans(2, [], 3 * MB), /power of 2/);
    });
  });

  describe('spanForIndex', () => {
    it('finds the covering span, including the open end', () => {
      const spans = segmentTimelineSpans(2, parseTimelineHistory('1\t0/3000000\tx\n'), SIZE);
      assert.equal(spanForIndex(spans, 0)?.timeline, 1);
      assert.equal(spanForIndex(spans, 2)?.timeline, 1);
      assert.equal(spanForIndex(spans, 3)?.timeline, 2);
      assert.equal(spanForIndex(spans, 1_000_000)?.timeline, 2);
      assert.equal(spanForIndex([{ timeline: 1, fromIndex: 5, toIndex: 6 }], 7), undefined);
    });
  });
});
