import assert from 'node:assert/strict';
import { findWalHoles } from '../../../src/core/wal-holes';

const SIZE = 16 * 1024 * 1024;

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** Segment names of one timeline, log 0, for the given segment numbers. */
function segs(timeline: number, ...numbers: number[]): string[] {
  return numbers.map((n) => `${hex8(timeline)}00000000${hex8(n)}`);
}

describe('core/wal-holes', () => {
  it('finds no hole in an unbroken run, whatever the listing order', () => {
    assert.deepEqual(findWalHoles(segs(1, 7, 5, 4, 6).reverse(), '000000010000000000000004', SIZE), []);
  });

  it('names the first missing segment of each hole, its length and what surrounds it', () => {
    const holes = findWalHoles(segs(1, 4, 5, 8, 9, 0xb), '000000010000000000000004', SIZE);
    assert.deepEqual(holes, [
      { after: '000000010000000000000005', firstMissing: '000000010000000000000006', lastMissing: '000000010000000000000007', missingSegments: 2, resumesAt: '000000010000000000000008' },
      { after: '000000010000000000000009', firstMissing: '00000001000000000000000A', lastMissing: '00000001000000000000000A', missingSegments: 1, resumesAt: '00000001000000000000000B' },
    ]);
  });

  it('reports a missing starting segment as a hole with nothing before it', () => {
    const [hole] = findWalHoles(segs(1, 6, 7), '000000010000000000000004', SIZE);
    assert.deepEqual(hole, { after: null, firstMissing: '000000010000000000000004', lastMissing: '000000010000000000000005', missingSegments: 2, resumesAt: '000000010000000000000006' });
  });

  it('does not call the archive simply ending a hole, nor segments before the start', () => {
    assert.deepEqual(findWalHoles(segs(1, 1, 4, 5), '000000010000000000000004', SIZE), []);
    assert.deepEqual(findWalHoles(segs(1, 1, 2), '000000010000000000000004', SIZE), []);
    assert.deepEqual(findWalHoles([], '000000010000000000000004', SIZE), []);
  });

  it('ignores other timelines, non-segments, impossible names and duplicates', () => {
    const names = [...segs(1, 4, 4, 6), ...segs(2, 5), '00000002.history', '000000010000000000000005.00000028.backup', 'garbage'];
    const holes = findWalHoles(names, '000000010000000000000004', SIZE);
    assert.equal(holes.length, 1);
    assert.equal(holes[0]!.firstMissing, '000000010000000000000005');
    // With 1 GiB segments a log holds 4 segments: segment part 0x10 cannot exist and is ignored.
    assert.deepEqual(findWalHoles(['000000010000000000000000', '000000010000000000000010'], '000000010000000000000000', 1024 * 1024 * 1024), []);
  });

  it('follows segment numbering across a log boundary (…FF, then the next log)', () => {
    assert.deepEqual(findWalHoles(['0000000100000000000000FE', '0000000100000000000000FF', '000000010000000100000000'], '0000000100000000000000FE', SIZE), []);
    const [hole] = findWalHoles(['0000000100000000000000FE', '000000010000000100000001'], '0000000100000000000000FE', SIZE);
    assert.equal(hole!.firstMissing, '0000000100000000000000FF');
    assert.equal(hole!.lastMissing, '000000010000000100000000');
    assert.equal(hole!.missingSegments, 2);
  });
});
