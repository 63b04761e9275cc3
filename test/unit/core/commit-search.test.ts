import assert from 'node:assert/strict';
import { findFirstCommitAfter } from '../../../src/core/commit-search';

/** Segments as lists of commit seconds; a time t becomes 2026-11-24T10:00:tt.000000Z. */
function archive(segments: number[][]) {
  const at = (s: number) => `2026-11-24T10:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000000Z`;
  const reads: number[] = [];
  return {
    at,
    reads,
    read: async (index: number) => {
      reads.push(index);
      return segments[index]!.map(at);
    },
  };
}

/** The first segment holding a commit later than the target, by reading every segment. */
function firstLinear(segments: number[][], target: number): number | null {
  const i = segments.findIndex((commits) => commits.some((t) => t > target));
  return i < 0 ? null : i;
}

describe('finding the first segment with a commit after the target', () => {
  it('finds it in O(log n) reads on steady traffic', async () => {
    const segments = Array.from({ length: 200 }, (_, i) => [i * 10 + 1, i * 10 + 5]);
    const a = archive(segments);
    const result = await findFirstCommitAfter(200, 0, a.at(1503), a.read);
    assert.ok(result.reachable);
    assert.equal(result.index, 150);
    assert.equal(result.firstCommitAfterTarget, a.at(1505));
    assert.equal(result.lastCommitBeforeTarget, a.at(1501));
    assert.ok(result.segmentsRead <= 10, `read ${result.segmentsRead} segments`);
  });

  it('matches a linear scan on every target, with idle (commit-less) segments in between', async () => {
    const segments = [[1, 2], [], [5], [], [], [9, 12], [], [20], [], [], [], [30, 31], []];
    for (let target = 0; target <= 31; target++) {
      const a = archive(segments);
      const result = await findFirstCommitAfter(segments.length, 0, a.at(target), a.read);
      const expected = firstLinear(segments, target);
      if (expected === null) {
        assert.equal(result.reachable, false, `target ${target}`);
      } else {
        assert.ok(result.reachable, `target ${target}`);
        assert.equal(result.index, expected, `target ${target}`);
      }
    }
  });

  it('reports an unreachable target with the last commit, even behind a trailing commit-less segment', async () => {
    const a = archive([[1], [5, 8], []]);
    const result = await findFirstCommitAfter(3, 0, a.at(8), a.read);
    assert.deepEqual(result, { reachable: false, lastCommit: a.at(8), segmentsRead: 2 });
    const none = archive([[], []]);
    assert.deepEqual(await findFirstCommitAfter(2, 0, none.at(1), none.read), { reachable: false, lastCommit: null, segmentsRead: 2 });
  });

  it('never answers a segment without a commit after the target, even when commit times are out of order', async () => {
    // Inversions across segments (not seen in practice, beyond milliseconds) may cost more WAL, never correctness.
    const segments = [[1], [50], [3], [4], [60], [5], [70]];
    for (let target = 0; target < 70; target += 7) {
      const a = archive(segments);
      const result = await findFirstCommitAfter(segments.length, 0, a.at(target), a.read);
      assert.ok(result.reachable);
      assert.ok(segments[result.index]!.some((t) => t > target), `segment ${result.index} for target ${target}`);
      assert.ok(result.index >= firstLinear(segments, target)!);
    }
  });

  it('starts from the lowest segment that may hold a later commit, reading none below it when it can', async () => {
    const segments = Array.from({ length: 50 }, (_, i) => [i * 10]);
    const a = archive(segments);
    const result = await findFirstCommitAfter(50, 40, a.at(425), a.read);
    assert.ok(result.reachable);
    assert.equal(result.index, 43);
    assert.ok(a.reads.every((i) => i >= 40), `read ${a.reads}`);
  });
});
