import assert from 'node:assert/strict';
import { holesAmong } from '../../../src/core/wal-holes';
import { segmentFromIndex } from '../../../src/core/wal-names';

const SIZE = 16 * 1024 * 1024;
const onTimeline1 = (index: number) => segmentFromIndex(1, index, SIZE);

describe('core/wal-holes', () => {
  it('finds no hole in an unbroken run, whatever the order', () => {
    assert.deepEqual(holesAmong([7, 5, 4, 6], 4, onTimeline1), []);
  });

  it('names the first missing segment of each hole, its length and what surrounds it', () => {
    assert.deepEqual(holesAmong([4, 5, 8, 9, 0xb], 4, onTimeline1), [
      { after: '000000010000000000000005', firstMissing: '000000010000000000000006', lastMissing: '000000010000000000000007', missingSegments: 2, resumesAt: '000000010000000000000008' },
      { after: '000000010000000000000009', firstMissing: '00000001000000000000000A', lastMissing: '00000001000000000000000A', missingSegments: 1, resumesAt: '00000001000000000000000B' },
    ]);
  });

  it('reports a missing starting segment as a hole with nothing before it', () => {
    const [hole] = holesAmong([6, 7], 4, onTimeline1);
    assert.deepEqual(hole, { after: null, firstMissing: '000000010000000000000004', lastMissing: '000000010000000000000005', missingSegments: 2, resumesAt: '000000010000000000000006' });
  });

  it('does not call the archive simply ending a hole, nor positions before the start; duplicates count once', () => {
    assert.deepEqual(holesAmong([1, 4, 5], 4, onTimeline1), []);
    assert.deepEqual(holesAmong([1, 2], 4, onTimeline1), []);
    assert.deepEqual(holesAmong([], 4, onTimeline1), []);
    assert.deepEqual(holesAmong([4, 4, 5, 5], 4, onTimeline1), []);
  });

  it('follows segment numbering across a log boundary (…FF, then the next log)', () => {
    assert.deepEqual(holesAmong([0xfe, 0xff, 0x100], 0xfe, onTimeline1), []);
    const [hole] = holesAmong([0xfe, 0x101], 0xfe, onTimeline1);
    assert.equal(hole!.firstMissing, '0000000100000000000000FF');
    assert.equal(hole!.lastMissing, '000000010000000100000000');
    assert.equal(hole!.missingSegments, 2);
  });
});
